package core

// Sentinels for the fund rules (tally/fund), so that a page can say in
// the reader's language why the administrator's or coordinator's action
// was refused; the message of the returned error names the details.
var (
	// ErrFundTrancheState: the tranche's state does not allow the action
	// (already open, not the next to close, a round still open in it,
	// closed).
	ErrFundTrancheState = &Error{Kind: Conflict, Reason: "fund_tranche_state", Msg: "the year's state does not allow this"}
	// ErrFundAllOpened: every tranche has opened, so an amendment would
	// change nothing.
	ErrFundAllOpened = &Error{Kind: Conflict, Reason: "fund_all_opened", Msg: "every year of the fund has opened, so this can no longer change"}
	// ErrFundOverBudget: a budget above what the community has left.
	ErrFundOverBudget = &Error{Kind: Invalid, Reason: "fund_over_budget", Msg: "the budget is more than the community has left"}
	// ErrFundNotMember: the community has no share of the tranche.
	ErrFundNotMember = &Error{Kind: Invalid, Reason: "fund_not_member", Msg: "the community has no share of that year"}
	// ErrFundNoTranche: the fund has no tranche in that year.
	ErrFundNoTranche = &Error{Kind: Invalid, Reason: "fund_no_tranche", Msg: "the fund has no money for that year"}
	// ErrFundLimit: an amount or population outside the limits, or a
	// charter that does not add up.
	ErrFundLimit = &Error{Kind: Invalid, Reason: "fund_limit", Msg: "an amount or a population is outside the limits"}
	// ErrFundAllocation: the formula cannot share a tranche among the
	// communities (say, none, or all of population 0 under a
	// per-inhabitant formula).
	ErrFundAllocation = &Error{Kind: Conflict, Reason: "fund_allocation", Msg: "the year's money cannot be shared among the communities"}
)
