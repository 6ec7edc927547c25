package main

var reportUsage = `Usage: countersign report --month YYYY-MM [--checkpoint FILE] [--json F] [--xlsx F] [--pdf F] (--trust FP | --unsafe-no-trust) BUNDLE
       countersign report --from YYYY-MM-DD --to YYYY-MM-DD ... BUNDLE
       countersign report --evidence [--run ID] [--json F] [--xlsx F] [--pdf F] (--trust FP | --unsafe-no-trust) BUNDLE

Verify a bundle and write a report from the same single pass: the monthly
segregation-of-duties conflict report (AG-259 4.7) for a period, or with
--evidence the evidence pack of the whole bundle or of one run. Every row names
the records it rests on by sequence number and record hash.

The period is a contiguous range of records chosen by their claimed times in
the organisation's time zone (from the genesis record). A bundle holds its whole
history, so findings in the period are stated apart from findings before it; a
bundle that ends before the period does is reported "period incomplete".

Flags:
  --month YYYY-MM      the period: one calendar month
  --from, --to DAY     the period: from one day to another, both included
  --evidence           the evidence pack instead of the monthly report
  --run ID             with --evidence: one run only
  --json F             write the report as JSON (format countersign-report)
  --xlsx F             write the report as a workbook: sheets Summary, Findings,
                       Conflicts, Exceptions, Refusals, Gates, Sign-offs,
                       Register, Records (a sheet past 1,048,576 rows continues
                       on "NAME (2)"; text over 32,767 characters is cut, marked,
                       and whole in the JSON)
  --pdf F              write the report as a PDF to print and file: the verdict
                       on its cover, fonts embedded, the verification result
                       (verify --json), the report's JSON and the final seal
                       attached (pdfdetach -list F); it lists findings,
                       conflicts, exceptions, refusals and gates with findings,
                       and for --evidence every gate and sign-off, up to 2,500
                       rows a section, counting the rest
  --trust FP           the bundle's genesis hash obtained out of band, as for
                       verify; @FILE reads it from a file
  --unsafe-no-trust    pin nothing: the report says authenticity not established
  --checkpoint FILE    last month's final seal: the report says whether this
                       bundle extends it, and carries this month's to keep

The report's date is the bundle's final seal's, or $SOURCE_DATE_EPOCH when the
bundle has none; never the clock, so two runs write the same bytes.

Examples:
  countersign report --month 2026-11 --trust @trust.txt --checkpoint october.seal \
      --json november.json --xlsx november.xlsx --pdf november.pdf november.csb
  countersign report --evidence --run pay-0001 --trust @trust.txt --pdf pack.pdf evidence.csb

A report on a bundle that fails verification is still written and says FAIL.
Exit status: 0 written and verified with no findings, 1 written but the bundle
failed verification or is unauthenticated, 2 usage error, 3 not a bundle or an
I/O error.
`
