package format

// Version is the format version this package writes and reads.
const (
	FormatName   = "countersign"
	Version      = "1.0"
	VersionMajor = 1
	VersionMinor = 0
)
