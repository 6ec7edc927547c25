package verifier

import "github.com/countersign/countersign/format"

// Notice kinds: the records that belong to no run and change no register,
// but that a report of refusals reads.
const (
	// NoticeNote: a note (SPEC.md §6.9), among them the refusals a
	// producer records as notes (an act it would not record).
	NoticeNote = "note"
	// NoticeAlert: an alert on a refused act (SPEC.md §6.9).
	NoticeAlert = "alert"
	// NoticeDelivery: the delivery, or failed delivery, of an alert.
	NoticeDelivery = "alert-delivery"
)

// Notice is one note, alert or alert delivery, as its record says it:
// Options.Notices receives them in sequence order. It decides nothing:
// whether an alert came in time is for SOD-ALERT-60S to say, in the
// findings the record carries.
type Notice struct {
	RecordStatus
	Kind string `json:"kind"`
	// Note is the note's body (Kind NoticeNote).
	Note *format.Note `json:"note,omitempty"`
	// Alert is the alert's body (Kind NoticeAlert).
	Alert *format.Alert `json:"alert,omitempty"`
	// Delivery is the delivery's body (Kind NoticeDelivery).
	Delivery *format.AlertDelivery `json:"delivery,omitempty"`
}

// notice hands over the record when it is a note, an alert or a delivery.
func (t *timeline) notice(it *item, ok bool) {
	var n *Notice
	switch b := it.body.(type) {
	case *format.Note:
		c := *b
		n = &Notice{Kind: NoticeNote, Note: &c}
	case *format.Alert:
		c := *b
		n = &Notice{Kind: NoticeAlert, Alert: &c}
	case *format.AlertDelivery:
		c := *b
		n = &Notice{Kind: NoticeDelivery, Delivery: &c}
	default:
		return
	}
	n.RecordStatus = t.status(it, ok)
	t.notices(n)
}
