# SPDX-License-Identifier: BSD-2-Clause
# Tidy scdoc's roff for `mandoc -T lint -W warning`: scdoc 1.11 emits a .P
# after every heading, before the next heading and before the end of an
# indented block, each of which mandoc reports as "skipping paragraph
# macro". Drop a .P that follows .TH, .SH, .SS or another .P, and one that
# precedes .SH, .SS or .RE.
function heading(l) { return l ~ /^\.(TH|SH|SS)( |$)/ }
{
	if ($0 == ".P") {
		if (pending || heading(last))
			next
		pending = 1
		next
	}
	if (pending && !heading($0) && $0 !~ /^\.RE( |$)/)
		print ".P"
	pending = 0
	print
	last = $0
}
