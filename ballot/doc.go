// Package ballot holds the pure domain of a participatory-budgeting round:
// voting codes and the keys they derive, the roll of eligible keys, the
// frozen manifest (leaf 0 of the round's log) and signed ballot leaves, with
// their canonical byte encodings and validation.
//
// The byte formats are normative and specified in docs/record.md (§1 and
// §3 to §6.1). Every parser in this package is strict: it accepts an input
// only when re-encoding the parsed value gives the same bytes, so each value
// has exactly one encoding and each encoding one hash.
//
// The package does no I/O beyond the [io.Reader] given to [NewCode], keeps
// no global state and never logs.
//
// # Voting codes
//
// A [Code] is 128 random bits, printed as 27 Crockford base32 digits with a
// check digit ([Code.String], [Code.Compact]) and read back leniently by
// [ParseCode]. [DeriveKey] turns a code into the round's Ed25519 key; the
// public half goes into the [Roll].
//
// # Manifests and ballots
//
// A [Manifest] is signed by the council into a note ([SignManifest]) that
// becomes leaf 0; [OpenManifest] verifies and parses it. A [Ballot] is
// signed by a code's key ([Ballot.Sign]) and checked against the manifest
// with [Manifest.CheckBallot].
//
// # Errors
//
// Errors wrap the sentinels [ErrNotCanonical], [ErrBadSignature],
// [ErrUnknownKey], [ErrWrongRound], [ErrWrongManifest], [ErrChoices],
// [ErrBadCode], [ErrBadKey] and [ErrInvalidManifest]; test them with
// [errors.Is]. Parse failures are [*ParseError] values that also match
// [ErrNotCanonical].
package ballot
