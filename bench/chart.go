package main

import (
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// chart draws the ratios of every point (to testpmd, to OVS) as grouped bars,
// one group per point and memory mode, with the targets as lines.
func chart(res *Results, path string) error {
	var names []string
	var tp, ovs plotter.Values
	for _, m := range res.Modes {
		for _, pr := range m.Points {
			n := pr.Name
			if len(res.Modes) > 1 {
				n += map[bool]string{true: " H", false: " N"}[m.Hugepages]
			}
			names = append(names, n)
			tp = append(tp, pr.RatioTP)
			ovs = append(ovs, pr.RatioOVS+pr.RatioSecgw) // a point has one of the two
		}
	}
	p := plot.New()
	p.Title.Text = "tunfwd throughput ratio, same workers as the reference (median; -Nw: N workers)"
	p.Y.Label.Text = "tunfwd Mpps / reference Mpps"
	w := vg.Points(9)
	b1, err := plotter.NewBarChart(tp, w)
	if err != nil {
		return err
	}
	b1.Color = color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 255}
	b1.Offset = -w / 2
	p.Add(b1)
	p.Legend.Add("to testpmd io (ceiling)", b1)
	hasOVS := false
	for _, v := range ovs {
		hasOVS = hasOVS || v > 0
	}
	if hasOVS {
		b2, err := plotter.NewBarChart(ovs, w)
		if err != nil {
			return err
		}
		b2.Color = color.RGBA{R: 0xff, G: 0x7f, B: 0x0e, A: 255}
		b2.Offset = w / 2
		p.Add(b2)
		p.Legend.Add("to Open vSwitch userspace (GRE, VXLAN) / ipsec-secgw (ESP), 1 worker", b2)
	}
	// target of issue 6: ratio >= 0.67 to testpmd
	target, err := plotter.NewLine(plotter.XYs{{X: -0.5, Y: 0.67}, {X: float64(len(names)) - 0.5, Y: 0.67}})
	if err != nil {
		return err
	}
	target.Color = color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 255}
	target.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
	p.Add(target)
	p.Legend.Add("target 0.67 of testpmd", target)
	p.Legend.Top = true
	p.NominalX(names...)
	p.X.Tick.Label.Rotation = 0.8
	p.X.Tick.Label.XAlign = -0.9 // right-align rotated labels under their bars
	p.Y.Min = 0
	top := 1.0
	for i := range tp {
		top = max(top, tp[i], ovs[i])
	}
	p.Y.Max = top * 1.35 // room for the legend above the bars
	width := vg.Length(len(names))*vg.Points(28) + vg.Centimeter*4
	return p.Save(max(width, 16*vg.Centimeter), 12*vg.Centimeter, path)
}
