// Package core is the platform's domain: the model (funds, communities,
// rounds, proposals, projects, accounts), the round lifecycle as one table
// of phases and actions ([Allows], [Next], [FreezeBlockers]), the
// validation of a round's settings and projects, and typed errors
// ([Error], [Kind] and sentinels such as [ErrCodeUsed]) that the web layer
// maps to HTTP statuses in one place.
//
// Package core is pure: no I/O, no clock, no Fiber, no bbolt, no
// net/http. The services (package service) implement the operations on
// top of it; the store (package store) keeps its types.
package core
