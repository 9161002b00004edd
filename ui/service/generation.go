package service

// Generation is a number that grows whenever a write to the store has
// committed (see core.Store's Generation): a page rendered from what the
// store held may be served again while Generation, read before rendering,
// has not changed.
func (s *Service) Generation() uint64 { return s.store.Generation() }
