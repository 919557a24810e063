package pktgen

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
)

// Snaplen is the snapshot length written to pcap file headers.
const Snaplen = 65535

// Timestamp is the capture time WritePcap gives frame i: 1 s + i µs after
// the Unix epoch.
func Timestamp(i int) time.Time {
	return time.Unix(1, int64(i)*int64(time.Microsecond)).UTC()
}

// WritePcap writes frames to path as a classic microsecond-resolution pcap
// (link type Ethernet, snaplen 65535), frame i stamped Timestamp(i). The file
// is created or truncated.
func WritePcap(path string, frames [][]byte) (err error) {
	fh, err := os.Create(path)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := fh.Close(); err == nil && cerr != nil {
			err = cerr
		}
	}()
	bw := bufio.NewWriterSize(fh, 1<<20)
	if err := writePcap(bw, frames); err != nil {
		return fmt.Errorf("pktgen: %s: %w", path, err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("pktgen: %s: %w", path, err)
	}
	return nil
}

func writePcap(w io.Writer, frames [][]byte) error {
	pw := pcapgo.NewWriter(w)
	if err := pw.WriteFileHeader(Snaplen, layers.LinkTypeEthernet); err != nil {
		return err
	}
	for i, fr := range frames {
		if len(fr) > Snaplen {
			return fmt.Errorf("frame %d is %d bytes, over snaplen %d", i, len(fr), Snaplen)
		}
		ci := gopacket.CaptureInfo{Timestamp: Timestamp(i), CaptureLength: len(fr), Length: len(fr)}
		if err := pw.WritePacket(ci, fr); err != nil {
			return fmt.Errorf("frame %d: %w", i, err)
		}
	}
	return nil
}

// ReadPcap returns the frames of a pcap file: classic pcap of either
// timestamp resolution (microsecond or nanosecond, either byte order), or
// pcapng. Only the captured bytes are returned; truncated captures stay
// truncated.
func ReadPcap(path string) ([][]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	frames, err := readPcap(data)
	if err != nil {
		return nil, fmt.Errorf("pktgen: %s: %w", path, err)
	}
	return frames, nil
}

// pcapng section header block type, the first 4 bytes of a pcapng file.
var ngMagic = []byte{0x0a, 0x0d, 0x0d, 0x0a}

func readPcap(data []byte) ([][]byte, error) {
	var src gopacket.PacketDataSource
	if bytes.HasPrefix(data, ngMagic) {
		r, err := pcapgo.NewNgReader(bytes.NewReader(data), pcapgo.DefaultNgReaderOptions)
		if err != nil {
			return nil, err
		}
		src = r
	} else {
		r, err := pcapgo.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, err
		}
		src = r
	}
	var frames [][]byte
	for {
		fr, _, err := src.ReadPacketData()
		if errors.Is(err, io.EOF) {
			return frames, nil
		}
		if err != nil {
			return frames, fmt.Errorf("frame %d: %w", len(frames), err)
		}
		frames = append(frames, fr)
	}
}
