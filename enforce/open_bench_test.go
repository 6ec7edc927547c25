package enforce_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/countersign/countersign/enforce"
	"github.com/countersign/countersign/format"
	"github.com/countersign/countersign/format/produce"
)

// BenchmarkOpen1M measures Open on a journal of a million records: runs of
// proposal, outcome, gate, sign-off attempts and outcomes, with a periodic
// seal every thousand records, under a kept head. Building the journal
// takes a while; it is not part of the normal test run:
//
//	go test -run '^$' -bench Open1M -benchtime 3x ./enforce/
func BenchmarkOpen1M(b *testing.B) { benchmarkOpen(b, 1_000_000) }

func benchmarkOpen(b *testing.B, records int64) {
	dir := b.TempDir()
	heads := &memHeads{}
	o := newOrgWith(&testing.T{}, enforce.Config{Dir: dir, LogKey: key("log"), HeadStore: heads})
	o.approvePolicy()
	d, err := o.propose("pay-0", "agent.payments", payment("10.00"), nil, "")
	if err != nil {
		b.Fatal(err)
	}
	propose := o.sign("agent.payments", &format.Statement{Purpose: format.PurposePropose, Run: "pay-0", Class: "payment", Action: format.ActionDigest(payment("10.00")).String(), Reason: "invoice"})
	st, _ := d.Requests[1].Statement("risk.ana", o.ppl["risk.ana"].Name, format.FormatTime(o.time()), "", "supplier verified; amount within budget")
	signoff := o.sign("risk.ana", st)
	o.core.Close()

	f, err := os.OpenFile(filepath.Join(dir, "journal.csj"), os.O_RDWR|os.O_APPEND, 0)
	if err != nil {
		b.Fatal(err)
	}
	j := readJournalB(b, dir)
	lines := wholeLines(j)
	genesis := format.RecordHash(lines[0])
	chain, err := produce.ResumeChain(genesis, lines[len(lines)-1], key("log"))
	if err != nil {
		b.Fatal(err)
	}
	at := chain.LastTime()
	var buf []byte
	add := func(typ, actor string, body any, sigs []format.Signed) {
		l, err := chain.Append(at, typ, actor, body, sigs)
		if err != nil {
			b.Fatal(err)
		}
		buf = append(append(buf, l...), '\n')
	}
	gate := `{"run":"%s","proposal":"%s","policy":1,"gate":"payment-release","stages":[{"stage":1,"n":1,"pool":["agent.reviewer","risk.ana"],"meaning":"review","human":false},{"stage":2,"n":2,"pool":["agent.reviewer","risk.ana","risk.ben","risk.chen"],"meaning":"approval","human":true}]}`
	for run := 1; chain.Next() < records; run++ {
		id := fmt.Sprintf("pay-%d", run)
		p := chain.Next()
		add(format.TypeProposal, "agent.payments", &format.Proposal{Run: id, Class: "payment", Action: string(payment("10.00")), Digest: format.ActionDigest(payment("10.00")).String(), Summary: map[string]string{}}, []format.Signed{propose})
		ph := chain.Head()
		add(format.TypeOutcome, "", &format.Outcome{Attempt: p, Result: format.ResultAccepted, Code: "ok", Detail: "proposal recorded"}, nil)
		add(format.TypeGate, "", []byte(fmt.Sprintf(gate, id, ph)), nil)
		for i := 0; i < 2; i++ {
			a := chain.Next()
			add(format.TypeAttempt, "risk.ana", &format.Attempt{Act: format.ActSignoff, Run: id}, []format.Signed{signoff})
			add(format.TypeOutcome, "", &format.Outcome{Attempt: a, Result: format.ResultRefused, Code: "duplicate-signer", Detail: "one principal, one sign-off"}, nil)
		}
		if chain.Next()%1000 < 7 {
			l, err := chain.AppendSeal(at)
			if err != nil {
				b.Fatal(err)
			}
			buf = append(append(buf, l...), '\n')
		}
		if len(buf) > 8<<20 {
			if _, err := f.Write(buf); err != nil {
				b.Fatal(err)
			}
			buf = buf[:0]
		}
	}
	if _, err := f.Write(buf); err != nil {
		b.Fatal(err)
	}
	st2, _ := f.Stat()
	f.Close()
	h, err := enforce.SignHead(genesis, chain.Next()-1, chain.Head(), key("log"))
	if err != nil {
		b.Fatal(err)
	}
	heads.head = h
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		core, err := enforce.Open(enforce.Config{Dir: dir, LogKey: key("log"), HeadStore: heads})
		if err != nil {
			b.Fatal(err)
		}
		core.Close()
	}
	b.ReportMetric(float64(chain.Next()), "records")
	b.ReportMetric(float64(st2.Size())/(1<<20), "MiB")
}

func readJournalB(b *testing.B, dir string) []byte {
	j, err := os.ReadFile(filepath.Join(dir, "journal.csj"))
	if err != nil {
		b.Fatal(err)
	}
	return j
}

func BenchmarkOpen100k(b *testing.B) { benchmarkOpen(b, 100_000) }
