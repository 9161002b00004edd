// Package tally counts participatory-budgeting elections exactly, by
// published rules, and does the fund arithmetic around them.
//
// It is pure: no I/O beyond the [io.Reader] and [io.Writer] it is given, no
// global state, no clock, no logging. Counting is deterministic: the same
// election, rule and tie-breaking order always give the same outcome, bit
// for bit, on every machine.
//
// # Counting
//
// An [Election] holds a budget, projects with costs, and ballots. Build it
// from a round with [FromManifest] or from a pabulib file with [ReadPB] and
// [PB.Election], then call [Count] with a rule name ([Rules]) and a
// [TieBreak] from [NewTieBreak]. The [Outcome] lists the funded projects,
// the amount spent, each project's votes and an [Explanation] of why each
// project was or was not funded.
//
// The rules and tie-breaking orders are defined normatively in
// docs/counting.md: greedy and its variants, the Method of Equal Shares
// with cost, unit and points utilities, its add1 and add1u completions and
// comparison step, and sequential Phragmén. On the Pabulib sample shared
// with the project every rule that pabutools 1.2.3 implements gives
// pabutools' outcome. All arithmetic is exact (integers and big.Rat-valued
// rationals); floats only ever pre-screen comparisons whose exact answer
// they cannot change.
//
// # Pabulib files
//
// [ReadPB] reads a .pb file into a [PB], keeping every META entry and
// column; [PB.WriteTo] writes it back; [RoundPB] and [WritePB] export a
// round. Malformed files give a [*PabulibError] with the line number.
//
// # Funds
//
// [Allocate], [SplitTranches] and [PlanTranche] divide a pooled fund among
// communities and carry unspent money over between tranches.
package tally
