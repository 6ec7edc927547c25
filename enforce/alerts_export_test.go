package enforce

// RefuseAsNote records a refusal as a note, the way the core records one
// it cannot write as an attempt and its outcome, for tests of the alerts
// such a note raises.
func (c *Core) RefuseAsNote(code, detail string) (*Decision, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.refuseNote(code, detail, nil)
}
