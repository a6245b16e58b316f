// Package docscheck keeps the repository's Markdown true to the repository.
// It reads Markdown the way GitHub renders it, as far as links need: fenced
// code blocks, code spans, headings and the anchors GitHub gives them (Slug,
// Anchors), links (Links), and the `make` commands named in code
// (MakeTargets), plus the targets a makefile defines (Rules).
//
// Its tests fail when a relative link of any Markdown file names a file that
// does not exist or a heading the file does not have, or when a `make` command
// names a target that the top-level Makefile and its includes do not define.
// scripts/tfcheck uses Anchors to check that each alert links to its runbook.
package docscheck
