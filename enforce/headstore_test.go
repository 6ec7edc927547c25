package enforce_test

import "github.com/countersign/countersign/enforce"

// headOf is the head store of the journal in dir, in a file beside the
// directory rather than inside it.
func headOf(dir string) *enforce.FileHeadStore { return enforce.NewFileHeadStore(dir + ".head") }
