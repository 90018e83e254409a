package blob

// Close releases what the store holds between calls: the idle connections
// (and their goroutines) of its fetcher's peer client. Files are opened per
// call, so there is nothing else to release; call it once every user of the
// store has stopped.
func (s *Store) Close() error {
	s.fetcher.client.CloseIdleConnections()
	return nil
}
