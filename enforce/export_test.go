package enforce

// DisableCheck turns off the refusal check for code in c, so a test can
// show that some test notices its absence. It exists only in tests.
func (c *Core) DisableCheck(code string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.st.off[code] = true
}
