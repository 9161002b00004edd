package ui

import (
	"github.com/gofiber/fiber/v2"
)

// routes registers every route of the JSON API and the public files. The
// table is in docs/api.md.
func (a *App) routes() {
	r := a.fiber
	a.limitLogin, a.limitProposals = a.loginLimiter(), a.proposalLimiter()
	r.Use(a.requestContext, a.accessLog, a.recoverPanic(), a.uploads.track, a.securityHeaders, a.sameOrigin, a.loadSession)

	// form wraps handlers of state-changing requests of signed-in accounts:
	// a small body, a session and its CSRF token.
	form := func(h ...fiber.Handler) []fiber.Handler {
		return append([]fiber.Handler{limitBody(maxFormBody), a.RequireLogin, a.RequireCSRF}, h...)
	}
	// signedIn wraps read-only handlers that need an account.
	signedIn := func(h ...fiber.Handler) []fiber.Handler {
		return append([]fiber.Handler{a.RequireLogin}, h...)
	}

	// Sessions.
	r.Post("/api/login", limitBody(maxFormBody), a.limitLogin, a.renderErrors, a.handleLogin)
	r.Post("/api/logout", form(a.handleLogout)...)
	r.Get("/api/session", signedIn(a.handleSession)...)

	// Funds, communities, accounts, the action log, backups.
	r.Get("/api/funds", a.handleFunds)
	r.Get("/api/funds/:fund", a.handleFund)
	r.Post("/api/funds", form(a.requireAdmin, a.handleCreateFund)...)
	r.Get("/api/communities", a.handleCommunities)
	r.Post("/api/communities", form(a.requireAdmin, a.handleCreateCommunity)...)
	r.Put("/api/communities/:community", form(a.requireAdmin, a.handleUpdateCommunity)...)
	r.Delete("/api/communities/:community", form(a.requireAdmin, a.handleRemoveCommunity)...)
	r.Post("/api/funds/:fund/tranches/:year/:op", form(a.requireAdmin, a.handleTranche)...)
	r.Get("/api/accounts", signedIn(a.requireAdmin, a.handleAccounts)...)
	r.Post("/api/accounts", form(a.requireAdmin, a.handleCreateAccount)...)
	r.Post("/api/accounts/:name/password", form(a.handleSetPassword)...)
	r.Get("/api/audit", signedIn(a.requireAdmin, a.handleAudit)...)
	r.Post("/api/accounts/:name/disable", form(a.requireAdmin, a.handleAccountState(true))...)
	r.Post("/api/accounts/:name/enable", form(a.requireAdmin, a.handleAccountState(false))...)
	r.Get("/admin/backup", signedIn(a.requireAdmin, a.handleBackup)...)

	// Rounds: public reads.
	r.Get("/api/rounds", a.handleRounds)
	r.Get("/api/rounds/:round", a.handleRound)
	r.Get("/api/rounds/:round/proposals", a.handleProposals)
	r.Get("/api/rounds/:round/result", a.handleResult)
	r.Get("/api/rounds/:round/consistency", a.handleConsistency)
	r.Get("/api/rounds/:round/inclusion", a.handleInclusion)

	// Rounds: residents (no account; ballots authenticate by signature).
	r.Post("/api/rounds/:round/proposals", limitBody(maxFormBody), a.limitProposals, a.renderErrors, a.handleSubmitProposal)
	r.Post("/api/rounds/:round/ballots", limitBody(maxBallotBody), a.handleBallot)
	r.Get("/api/rounds/:round/proposals/:proposal/follow", a.handleFollow)
	r.Post("/api/rounds/:round/proposals/:proposal/follow", limitBody(maxFormBody), a.limitProposals, a.handleFollowMessage)

	// Rounds: coordinators and administrators.
	r.Post("/api/rounds", form(a.handleCreateRound)...)
	r.Patch("/api/rounds/:round", form(a.handleUpdateRound)...)
	r.Post("/api/rounds/:round/phase", form(a.handlePhase)...)
	r.Post("/api/rounds/:round/preview", form(a.handlePreview)...)
	r.Post("/api/rounds/:round/cancel", form(a.handleCancelRound)...)
	r.Post("/api/rounds/:round/proposals/decisions", form(a.handleDecideBulk)...)
	r.Post("/api/rounds/:round/proposals/:proposal/decision", form(a.handleDecide)...)
	r.Post("/api/rounds/:round/projects", form(a.handlePutProject)...)
	r.Delete("/api/rounds/:round/projects/:project", form(a.handleDeleteProject)...)
	r.Put("/api/rounds/:round/roll", a.RequireLogin, a.RequireCSRF, a.handleUploadRoll)
	r.Post("/api/rounds/:round/codes", form(a.handleCodes)...)
	r.Post("/api/rounds/:round/slips", form(a.handleSlips)...)
	r.Post("/api/rounds/:round/schedule", form(a.handleSchedule)...)
	r.Post("/api/rounds/:round/voids", form(a.handleVoid)...)
	r.Put("/api/rounds/:round/handed-out", form(a.handleHandedOut)...)
	r.Post("/api/rounds/:round/meeting", form(a.handleMeeting)...)
	r.Post("/api/rounds/:round/proposals/:proposal/messages", form(a.handleCouncilMessage)...)
	r.Get("/api/rounds/:round/followups", signedIn(a.handleFollowUps)...)

	// Public round files (plain text; the record under one prefix).
	r.Get("/rounds/:round/anchors.txt", a.handleAnchors)
	r.Get("/rounds/:round/manifest", a.handleManifest)
	r.Get("/rounds/:round/checkpoint", a.handleCheckpoint)
	r.Get("/rounds/:round/hashes.txt", a.handleHashes)
	r.Get("/rounds/:round/record/", a.handleRecordIndex)
	r.Get("/rounds/:round/record/:file", a.handleRecordFile)
	r.Get("/rounds/:round/record.tar", a.handleArchive)
	r.Get("/rounds/:round/round.pb", a.handlePB)
	r.Get("/rounds/:round/results.csv", a.handleRoundCSV)
	r.Get("/funds/:fund/projects.csv", a.handleFundCSV)
	r.Get("/funds/:fund/open-data.zip", a.handleFundZip)

	// Public fund files: the fund's anchors and its ledger (docs/record.md
	// §14.5), framed like a round's record.
	r.Get("/funds/:fund/anchors.txt", a.handleFundAnchors)
	r.Get("/funds/:fund/ledger/", a.handleFundLedgerIndex)
	r.Get("/funds/:fund/ledger/:file", a.handleFundLedgerFile)

	// The HTML pages and static files (ui/page*.go).
	a.pageRoutes()
}
