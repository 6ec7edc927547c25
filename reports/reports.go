// Package reports builds the reports an examiner files from an evidence
// bundle: the monthly segregation-of-duties conflict report (AG-259 4.7,
// test 8.6) and the evidence pack (the whole bundle, or one run).
//
// A report is a model first (model.go), built by Build from one pass over
// the bundle: the verifier's Result, its per-record stream, its run
// timelines and its change log, each row traceable to sequence numbers and
// record hashes. Rows that grow with the bundle are spooled to temporary
// files as they are read, so memory does not grow with them. Renderers
// then print the same model as JSON (WriteJSON), XLSX (WriteXLSX) and PDF
// (WritePDF), each as small named section functions.
//
// A report decides nothing: the verdict, the findings and whether a record
// is intact are the verifier's. A report on a bundle that fails
// verification is still a report, and says FAIL.
package reports
