package flows

import (
	"fmt"
	"strings"

	"rsc.io/qr"
)

// QRQuietZone is the light border drawn around a QR code, in modules. The QR
// standard asks for 4; 2 is enough for phone cameras and keeps the code within an
// 80×24 terminal.
const QRQuietZone = 2

// QRText draws uri as a QR code (error correction level L) in text, two modules per
// character cell with the Unicode half blocks "▀", "▄" and "█", for a terminal with a
// dark background: light modules (and the quiet zone) are drawn with the
// foreground colour, dark modules are left blank. Every line has the same width.
//
// The device flow shows verification_uri_complete this way (RFC 8628 §3.3.1), so a
// phone can open it. Front ends on a light background can use [QRTextInverted].
func QRText(uri string) (string, error) { return qrText(uri, false) }

// QRTextInverted is [QRText] for a light background: dark modules are drawn.
func QRTextInverted(uri string) (string, error) { return qrText(uri, true) }

func qrText(uri string, darkDrawn bool) (string, error) {
	if uri == "" {
		return "", fmt.Errorf("qr: nothing to encode")
	}
	c, err := qr.Encode(uri, qr.L)
	if err != nil {
		return "", fmt.Errorf("qr: %w", err)
	}
	q := QRQuietZone
	n := c.Size + 2*q
	// drawn reports whether the module at (x, y), quiet zone included, is drawn.
	drawn := func(x, y int) bool {
		if y >= n {
			return !darkDrawn // the padding row under an odd height is background
		}
		return c.Black(x-q, y-q) == darkDrawn
	}
	var sb strings.Builder
	for y := 0; y < n; y += 2 {
		for x := 0; x < n; x++ {
			top, bottom := drawn(x, y), y+1 < n && drawn(x, y+1)
			if y+1 >= n {
				bottom = false
			}
			switch {
			case top && bottom:
				sb.WriteString("█")
			case top:
				sb.WriteString("▀")
			case bottom:
				sb.WriteString("▄")
			default:
				sb.WriteString(" ")
			}
		}
		sb.WriteByte('\n')
	}
	return sb.String(), nil
}
