package teams

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"image"
	"image/png"

	"golang.org/x/image/draw"

	"github.com/touchbase/touchbase/handlers"
)

// imageAttachment returns img as an inline image attachment Teams shows
// (a data: URL), scaled down to at most 1024 pixels a side, which is as
// large as Teams shows an inline image.
func imageAttachment(img *handlers.Image) (map[string]any, error) {
	src, err := png.Decode(bytes.NewReader(img.PNG))
	if err != nil {
		return nil, fmt.Errorf("teams: decode %s: %w", img.Name, err)
	}
	b := src.Bounds()
	if w, h := b.Dx(), b.Dy(); w > maxImageSide || h > maxImageSide {
		scale := float64(maxImageSide) / float64(max(w, h))
		dst := image.NewRGBA(image.Rect(0, 0, int(float64(w)*scale), int(float64(h)*scale)))
		draw.CatmullRom.Scale(dst, dst.Bounds(), src, b, draw.Src, nil)
		src = dst
	}
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&buf, src); err != nil {
		return nil, fmt.Errorf("teams: encode %s: %w", img.Name, err)
	}
	return map[string]any{
		"contentType": "image/png",
		"contentUrl":  "data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes()),
		"name":        img.Name,
	}, nil
}
