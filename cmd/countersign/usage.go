package main

import (
	"fmt"
	"strings"
)

// The usage texts are written by hand: they are what a regulator or an
// operator reads first, so they lead with examples.

var mainUsage = `countersign verifies and inspects countersign evidence bundles, and lets a
principal sign with their own key.

Usage:
  countersign verify (--trust FP | --unsafe-no-trust) [--checkpoint FILE] [--json] BUNDLE
  countersign inspect [--json] BUNDLE
  countersign inspect --runs [--run ID] (--trust FP | --unsafe-no-trust) [--json] BUNDLE
  countersign browse (--trust FP | --unsafe-no-trust) BUNDLE
  countersign register [--at TIME | --seq N] [--json | --csv] (--trust FP | --unsafe-no-trust) BUNDLE
  countersign checkpoint [--at SEQ] BUNDLE
  countersign report (--month YYYY-MM | --evidence [--run ID]) [--json F] [--xlsx F] [--pdf F] (--trust FP | --unsafe-no-trust) BUNDLE
  countersign keygen --id ID --name NAME --kind human|agent --team TEAM --out FILE
  countersign sign --key FILE --request REQ.json [--reason TEXT | --identity-check TEXT] [--out FILE]
  countersign demo [--out DIR]
  countersign selftest
  countersign version
  countersign help [COMMAND]

Commands:
  verify       check a bundle: integrity, trust root, checkpoint, rules
  inspect      describe a bundle: principals, record types, runs, seals, size;
               with --runs, every run: who proposed, approved, was refused, executed
  browse       browse a bundle in the terminal while it is verified
  register     the control register: who holds which role on which control, when
  checkpoint   print a bundle's final seal, to keep for verify --checkpoint
  report       the monthly conflict report or the evidence pack, as files
  keygen       make a signing key, stored encrypted under a passphrase
  sign         sign a sign, enrolment or revocation request with your own key
  demo         run the end-to-end demonstration
  selftest     verify the built-in test vectors here and compare every finding
  version      print the version of countersign and of the bundle format

Examples:
  countersign verify --trust $(cat trust.txt) evidence.csb
  countersign verify --trust @trust.txt --checkpoint last-month.seal evidence.csb
  zstd -dc evidence.csb | jq .    (a bundle is readable with standard tools)

BUNDLE may be - to read the bundle from stdin.
Passphrases are asked on the terminal, or read from $` + passphraseEnvName + ` in scripts.

` + exitCodeText() + `
Run 'countersign COMMAND -h' for the flags of one command.
`

var usages = map[string]string{
	"register": `Usage: countersign register [--at TIME | --seq N] [--json | --csv] (--trust FP | --unsafe-no-trust) BUNDLE

Show the control register as the bundle's executed changes made it: each
control (its name, whether it is material, the classes it governs, its
parameters), who holds each of its five roles (build, operate, approve,
validate, audit) - a principal, or a team and its accountable human - since
when, by which run, with what justification; and the teams. The bundle is
verified as it is read, and the verdict is printed below the register.

Flags:
  --at TIME            the register as of an instant: changes recorded at or
                       before TIME (2026-11-02T09:00:00.000Z, UTC)
  --seq N              the register as of record N (changes at or before it)
  --json               print the register as JSON (format countersign-register)
  --csv                print one row per role holder as CSV; cells that begin with
                       = + - @ are prefixed with ' so no spreadsheet runs them
  --trust FP           the genesis hash obtained out of band, as for verify
  --unsafe-no-trust    pin nothing; the output says UNAUTHENTICATED

Examples:
  countersign register --trust @trust.txt evidence.csb
  countersign register --at 2026-11-02T12:00:00.000Z --trust @trust.txt evidence.csb
  countersign register --csv --trust @trust.txt evidence.csb > register.csv

` + exitCodeText(),
	"verify": `Usage: countersign verify (--trust FP | --unsafe-no-trust) [--checkpoint FILE] [--json] BUNDLE

Verify a bundle offline: its container, every record, the hash chain, every
envelope and statement signature, the seals and the final seal, then the
segregation-of-duties rules. Findings name their rule and the records.

Flags:
  --trust FP           the bundle's genesis hash (64 hex digits), obtained out of
                       band; @FILE reads it from a file; white space is ignored
  --unsafe-no-trust    pin nothing: integrity only, authenticity "not established"
  --checkpoint FILE    a final seal kept earlier (see countersign checkpoint), or a
                       periodic seal handed out by the producer in the same form;
                       the bundle must extend it: a fork or withheld records fail
  --json               print the result as JSON (format countersign-verify-result)

Without --trust the verdict is never pass: the bundle is checked and reported
"unauthenticated" (exit 1), unless --unsafe-no-trust is given.

Examples:
  countersign verify --trust 3b0c...e41f evidence.csb
  countersign verify --trust "$(cat trust.txt)" evidence.csb
  countersign verify --trust @trust.txt --checkpoint october.seal november.csb
  countersign verify --unsafe-no-trust --json - < evidence.csb

` + exitCodeText(),

	"inspect": `Usage: countersign inspect [--json] BUNDLE
       countersign inspect --runs [--run ID] (--trust FP | --unsafe-no-trust) [--json] BUNDLE

Describe a bundle without judging it: format version, genesis hash, bundle ID,
organisation, principals, counts of each record type, runs, seals, and its size.
inspect gives no verdict; it counts findings and points at verify.

With --runs, show every run as its records say: the proposal (its action
exactly as recorded, digest, summary, the proposer's reason), the gate and its
stages, every attempt with the signer, printed name, kind, meaning, verbatim
reason and claimed time, every outcome with its refusal code and detail, and
the execution, each with its sequence number, hash and what verification found
on it. Runs are printed as the bundle closes them, so any size streams. A
record marked NOT INTACT failed integrity: what it says may have been altered.

Flags:
  --json               print the description (format countersign-inspect), or
                       with --runs the runs (format countersign-runs), as JSON
  --runs               show the runs
  --run ID             show only run ID (implies --runs)
  --trust FP           with --runs: the genesis hash obtained out of band, as for
                       verify; @FILE reads it from a file
  --unsafe-no-trust    with --runs: pin nothing; the output says UNAUTHENTICATED:
                       approvals from an unauthenticated bundle are not facts

Examples:
  countersign inspect evidence.csb
  countersign inspect --json evidence.csb | jq '.principals[] | .id'
  countersign inspect --runs --trust @trust.txt evidence.csb
  countersign inspect --run pay-0001 --trust @trust.txt --json evidence.csb | jq '.runs[0].attempts[] | {signer, reason}'

Exit status: 0 when the bundle could be read (even with findings), 1 when --run
names a run the bundle does not have, 2 on a usage error (with --runs, neither
--trust nor --unsafe-no-trust), 3 when the input is not a bundle or cannot be
read.
`,

	"browse": `Usage: countersign browse (--trust FP | --unsafe-no-trust) BUNDLE

Browse a bundle in the terminal: the overview and verdict, the records, each
record decoded, the runs as timelines, the principals and their keys, the
register of controls as of any time, and the findings. It opens at once on a
bundle of any length and verifies it in the background; every record shows
pending, ok or finding. It draws on stderr and reads keys from the terminal,
so stdout may be piped. Press ? for the keys, q to quit. NO_COLOR is obeyed.

Flags:
  --trust FP           the bundle's genesis hash, obtained out of band, as for
                       verify; @FILE reads it from a file
  --unsafe-no-trust    pin nothing: a banner says UNAUTHENTICATED throughout

Examples:
  countersign browse --trust @trust.txt evidence.csb
  countersign browse --unsafe-no-trust evidence.csb

Exit status: what verify would give: 0 when the verification finished and
passed, 1 when it failed, is unauthenticated or was not finished when you quit,
2 on a usage error or without a terminal, 3 when the input is not a bundle or
cannot be read.
`,

	"checkpoint": `Usage: countersign checkpoint [--at SEQ] BUNDLE

Verify a bundle's integrity and print its final seal: one line to keep outside
the producer's reach. Next time, 'countersign verify --checkpoint FILE' proves
that the new bundle extends this one: the producer did not rewrite or withhold
history and did not show you a different one (a fork).

The checkpoint does not establish authenticity: verify the bundle with --trust
before you rely on it.

Flags:
  --at SEQ    print the periodic seal record SEQ instead, in the same form (its
              seal and signature, with the log key in force there); a producer
              hands these out so that a party outside its reach holds them

Examples:
  countersign checkpoint october.csb > october.seal
  countersign verify --trust @trust.txt --checkpoint october.seal november.csb

Exit status: 0 with the seal printed, 1 if the bundle does not verify, 2 on a
usage error, 3 when the input is not a bundle or cannot be read.
`,

	"report": reportUsage,

	"keygen": `Usage: countersign keygen --id ID --name NAME --kind human|agent --team TEAM --out FILE [--work-factor N] [--insecure-weak-key]

Make an Ed25519 signing key for one principal and write it to FILE, encrypted
under a passphrase you choose (asked twice, at least 12 characters). The file
and the passphrase are your two identification components: keep both, share
neither. FILE is never overwritten. The public key and its key ID are printed;
the key signs nothing until it is enrolled: you sign its enrolment request
with this file, and two registrars witness it, each after checking who you are
and comparing the key ID you read out to them.

Flags:
  --id ID              your principal ID, e.g. risk.ana
  --name NAME          your printed name, exactly as it will be shown with your
                       signatures
  --kind KIND          human or agent
  --team TEAM          your team ID, e.g. risk
  --out FILE           where to write the key file (mode 0600)
  --work-factor N      scrypt work factor, 18 to 22 (default 18)
  --insecure-weak-key  allow a passphrase under 12 characters and a work factor
                       down to 10: for tests and demonstrations, never for a
                       key that signs for real

The passphrase is read from the terminal, or from $` + passphraseEnvName + ` in scripts.

Example:
  countersign keygen --id risk.ana --name "Ana Ribeiro" --kind human --team risk --out ana.key

Exit status:
  0  the key file was written and the public key printed
  2  usage error, no passphrase, a passphrase under 12 characters or a work
     factor below 18 (without --insecure-weak-key)
  3  FILE already exists, or cannot be written
`,

	"sign": `Usage: countersign sign --key FILE --request REQ.json [--reason TEXT] [--meaning M] [--identity-check TEXT] [--at TIME] [--out FILE] [--yes]

Sign a request with your own key: a sign request (a sign-off or an execution),
an enrolment request, or a revocation request. The request (a sign request's
action must hash to its digest) and your key file are checked before anything
is shown. What you sign is shown on stderr, and your statement binds all of
it, with your printed name and the time.

  sign-off     shows run, gate, stage, the meaning the stage requires and the
               action itself; you give a reason
  enrol-self   the enrolee proves it holds the key being enrolled: sign with
               that key file
  enrol-witness
               a registrar witnesses an enrolment: shown the enrolee's ID,
               printed name, kind, team and key ID in groups of four, you
               compare the key ID with the one the enrolee reads out to you
               over another channel, and say how you checked their identity
  revoke       the key's holder (with that key) or each of two registrars
               revokes a key, for the reason the request gives

Flags:
  --key FILE             your key file (from countersign keygen)
  --request REQ.json     the request the producer gave you
  --reason TEXT          sign-offs: why you sign; required, recorded verbatim
                         (asked for on a terminal when not given)
  --meaning M            sign-offs: the meaning you intend (authorship, review,
                         approval, responsibility); refused if the stage
                         requires another
  --identity-check TEXT  enrol-witness: how you checked the enrolee's identity,
                         e.g. "in person, passport"; required, recorded
                         verbatim (asked for on a terminal when not given)
  --at TIME              your claimed time, e.g. 2026-11-02T09:00:00.000Z
                         (default now)
  --out FILE             write the signed statement here (mode 0600, never
                         overwritten); default stdout
  --yes                  do not ask "Sign? [y/N]" on a terminal

The passphrase is read from the terminal, or from $` + passphraseEnvName + ` in scripts.

Examples:
  countersign sign --key ana.key --request pay-0001.request.json \
      --reason "Invoice checked against PO 4471" --out pay-0001.ana.json
  countersign sign --key alex.key --request enrol-risk.dev.witness.json \
      --identity-check "in person, passport" --out enrol-risk.dev.alex.json

Exit status:
  0  the signed statement was written
  1  not signed: wrong passphrase, a request that fails its checks (an action
     that does not match its digest), not confirmed, or signing failed
  2  usage error, or a request this key or meaning cannot sign (another's
     enrol-self, a witness for your own enrolment, another meaning)
  3  a file cannot be read or written, FILE is not a countersign key file, or
     REQ.json is not a request
`,

	"demo": `Usage: countersign demo [--out DIR]

Run the end-to-end demonstration: every key is made with countersign keygen
and enrolled through enrolment requests, the enrolee and both registrars each
signing in a countersign sign process of their own; an agent is refused its
own approval, a reviewer agent is refused a human-only stage, two named humans
sign in processes of their own with their own key files, the payment executes,
and the evidence bundle is written, verified pinned, tampered with and
verified again.
Everything goes to DIR (default ./countersign-demo): keys/, requests/,
signatures/, journal/, evidence.csb, evidence-tampered.csb and trust.txt.

The demonstration builds a whole producer, so it is a binary of its own,
countersign-demo, found beside this one or on PATH (make install puts both
there); this command runs it, with this binary as the signers' countersign.

Flags:
  --out DIR   where to write (an earlier demo's directory is replaced)

Exit status:
  0  everything behaved as designed
  1  something did not behave as designed
  2  usage error
  3  countersign-demo cannot be found, or an I/O error
`,

	"selftest": `Usage: countersign selftest

Verify every test vector built into this binary (the vectors of the bundle
format's specification) on this machine, and compare each verdict and each
finding, rule and records in order, with what the specification expects.
Prints one line per vector, a summary, the format and result versions and
the SHA-256 of this binary: evidence to file when validating the tool.

Exit status:
  0  every vector matched its expectation
  1  some vector did not
  2  usage error
  3  the built-in vectors cannot be read
`,

	"version": `Usage: countersign version

Print the version of countersign, of the bundle format it reads, and the
SHA-256 of this binary.
`,
}

// passphraseEnvName is keyfile.PassphraseEnv, repeated here so the usage
// texts can be plain constants; a test keeps the two equal.
const passphraseEnvName = "COUNTERSIGN_PASSPHRASE"

func exitCodeText() string {
	var b strings.Builder
	b.WriteString("Exit status:\n")
	for _, c := range exitCodes {
		fmt.Fprintf(&b, "  %d  %s\n", c.code, c.text)
	}
	return b.String()
}
