package conf

import (
	"fmt"
	"strings"
	"testing"
)

var sprintf = fmt.Sprintf

// saOut is an outbound SA appended to base, with its seq_start line last.
const saOut = "\n[[crypto]]\nname = \"c0\"\nvdev = \"crypto_aesni_gcm0\"\n\n[[sa]]\nname = \"o1\"\nspi = 4097\ndir = \"%s\"\nlocal = \"192.0.2.1\"\nremote = \"192.0.2.254\"\naead = \"aes-128-gcm\"\nkey = \"00112233445566778899aabbccddeeff\"\nsalt = \"01020304\"\n"

// TestSAChecks: seq_start's range and direction, endpoint families.
func TestSAChecks(t *testing.T) {
	runErrCases(t, []errCase{
		{name: "inbound", add: sprintf(saOut, "in") + "seq_start = 5 #<\n",
			key: "sa[0].seq_start", msg: "for outbound SAs"},
		{name: "32-bit", add: sprintf(saOut, "out") + "seq_start = 0x100000000 #<\n",
			key: "sa[0].seq_start", msg: "without esn"},
		{name: "families", add: strings.Replace(sprintf(saOut, "out"), `remote = "192.0.2.254"`, `remote = "2001:db8::2" #<`, 1),
			key: "sa[0].remote", msg: "different families"},
	})
	// with ESN the same start is valid
	if _, err := Parse([]byte(base+sprintf(saOut, "out")+"esn = true\nseq_start = 0x100000000\n"), "t.toml"); err != nil {
		t.Fatal(err)
	}
}
