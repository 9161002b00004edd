// Package ledger is the public record of a participatory-budgeting round:
// the RFC 6962 Merkle log of its leaves, C2SP checkpoints, c2sp.org
// tlog-proof receipts, the council's close, void and result notes, the
// record's files and archive, the trust anchors, and [Verify], which checks
// a whole record as docs/record.md §10.3 specifies.
//
// The byte formats are normative and specified in docs/record.md (§2 and
// §6.2 to §10; §12 is a worked example reproduced by testdata/example).
// Every parser is strict: it accepts an input only when re-encoding the
// parsed value gives the same bytes. Signed notes use
// golang.org/x/mod/sumdb/note with a stricter reading of the signature
// lines, and the tree uses golang.org/x/mod/sumdb/tlog.
//
// The package does no I/O beyond the [io.Reader], [io.Writer] and [fs.FS]
// values it is given, keeps no global state and never logs.
//
// # Running a log
//
// A server wraps its [Storage] in a [Log], appends batches of leaves
// ([Log.Append]), signs the head ([Log.Head], [SignCheckpoint]), hands out
// receipts ([Log.Receipt]) and consistency proofs ([Log.ProveConsistency]),
// closes the round ([SignClose], then a final checkpoint signed by the log
// and the council), publishes results ([SignResult]) and exports the
// [Record]. Before it appends a ballot leaf it asks [AdmitBallot], the
// one-ballot-per-key rule [Verify] applies too, and it reads its result
// notes back with [ReadResult].
//
// # Verifying a record
//
// [ReadRecord] or [ReadArchive] reads a record, [ParseAnchors] the trust
// anchors, and [Verify] returns a [Report] naming each check, its failures,
// counts, per-project tallies and, when the log forked, a [ForkProof]. A
// counting rule plugs in as a [CountFunc] (the platform's is
// tally/recount.Count).
//
// # Errors
//
// Errors wrap the sentinels [ErrNotCanonical] and [ErrBadSignature] (shared
// with package ballot), [ErrNotSigned], [ErrWrongOrigin], [ErrBadProof],
// [ErrMismatch], [ErrArchive] and [ErrEmptyLeaf], and [AdmitBallot]'s
// refusals [ErrKeyUsed], [ErrKeyVoided] and [ErrSupersededRepeat]; test them
// with [errors.Is]. Parse failures are [*ParseError] values and malformed record
// files [*FileError] values.
package ledger
