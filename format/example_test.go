package format_test

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/countersign/countersign/format"
)

// Example reads a bundle line by line: each record's envelope and body,
// then the final seal in the trailer.
func Example() {
	f, err := os.Open("../fixtures/vectors/valid-minimal.csb")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	r := format.NewReader(f)
	defer r.Close()
	for {
		line, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			fmt.Println("container:", err)
			return
		}
		if format.IsTrailer(line.Bytes) {
			t, err := format.ParseTrailer(line.Bytes)
			if err != nil {
				fmt.Println("trailer:", err)
				return
			}
			fmt.Printf("trailer: %s seal of %d records\n", t.Seal.Kind, t.Seal.Count)
			continue
		}
		rec, err := format.ParseRecord(line.Bytes)
		if err != nil {
			fmt.Println("record:", err)
			return
		}
		body, err := format.DecodeBody(rec.Type, rec.Body, format.Strict)
		if err != nil {
			fmt.Println("body:", err)
			return
		}
		info, _ := format.LookupType(rec.Type)
		fmt.Printf("%d %s signed=%v statements=%d", rec.Seq, rec.Type, info.Signed(), len(rec.Sigs))
		if g, ok := body.(*format.Genesis); ok {
			fmt.Printf(" org=%q", g.Org.Name)
		}
		fmt.Println()
	}
	// Output:
	// 0 genesis signed=true statements=2 org="Example Bank"
	// 1 enrolment signed=true statements=3
	// 2 enrolment signed=true statements=3
	// 3 seal signed=false statements=0
	// 4 note signed=false statements=0
	// trailer: export seal of 5 records
}
