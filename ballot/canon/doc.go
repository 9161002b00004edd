// Package canon holds the canonical-text rules of the round record
// (docs/record.md §1 and §2) in one place, so that the server and the
// verifier read and write the same bytes: canonical decimals, strict
// standard base64, identifiers and texts, Crockford base32, strict body
// lines, note key names and the strict splitting of signed notes.
//
// The package is pure: no I/O, no globals that change, no signatures. It
// checks syntax only; what a value means is for its callers (ballot,
// tally/ledger). Parsers report a failure as false, or as an error whose
// text is a short reason with no prefix, meant to be wrapped in the
// caller's own parse error.
package canon
