package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// loadgenRow reads the table that `go run ./cmd/loadgen` printed into path
// and returns a row comparing the full server with the verify-only one at
// the first concurrency both have: requests a second and p99 of each, and
// full ÷ verify-only.
func loadgenRow(path string) (row, error) {
	f, err := os.Open(path)
	if err != nil {
		return row{}, err
	}
	defer f.Close()
	type result struct{ rps, p99 string }
	full, verify := map[string]result{}, map[string]result{}
	var order []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// | server | concurrency | requests | errors | req/s | p50 | p90 | p99 | max |
		cells := strings.Split(strings.Trim(strings.TrimSpace(sc.Text()), "|"), "|")
		if len(cells) != 9 {
			continue
		}
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		r := result{rps: cells[4], p99: cells[7]}
		switch cells[0] {
		case "full":
			full[cells[1]] = r
			order = append(order, cells[1])
		case "verify-only":
			verify[cells[1]] = r
		}
	}
	if err := sc.Err(); err != nil {
		return row{}, err
	}
	for _, c := range order {
		v, ok := verify[c]
		if !ok {
			continue
		}
		fr := full[c]
		a, errA := strconv.ParseFloat(fr.rps, 64)
		b, errB := strconv.ParseFloat(v.rps, 64)
		if errA != nil || errB != nil {
			return row{}, fmt.Errorf("%s: req/s %q and %q are not numbers", path, fr.rps, v.rps)
		}
		p99, err := strconv.ParseFloat(strings.TrimSuffix(fr.p99, " ms"), 64)
		if err != nil {
			return row{}, fmt.Errorf("%s: p99 %q is not in ms", path, fr.p99)
		}
		return row{
			metric: fmt.Sprintf("signed /log over loopback, concurrency %s: full server vs verify-only (loadgen)", c),
			tb:     fmt.Sprintf("%s req/s, p99 %s", fr.rps, fr.p99),
			sq:     fmt.Sprintf("verify-only: %s req/s, p99 %s", v.rps, v.p99),
			ratio:  ratio(a, b), target: "≥ 0.5x, p99 ≤ 25 ms", pass: a >= 0.5*b && p99 <= 25,
		}, nil
	}
	return row{}, fmt.Errorf("%s: no concurrency with both a full and a verify-only row", path)
}
