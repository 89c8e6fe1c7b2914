package jpegscale

import (
	"bytes"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// floatIDCT is the definition the reduced IDCTs implement: the N-point
// IDCT of the NxN corner with JPEG's normalisation, so a flat block keeps
// its level, then +128 and clamping.
func floatIDCT(b *block, n int) []float64 {
	out := make([]float64, n*n)
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			var sum float64
			for v := 0; v < n; v++ {
				for u := 0; u < n; u++ {
					cu, cv := math.Sqrt2, math.Sqrt2
					if u == 0 {
						cu = 1
					}
					if v == 0 {
						cv = 1
					}
					sum += cu * cv * float64(b[8*v+u]) *
						math.Cos(float64((2*x+1)*u)*math.Pi/float64(2*n)) *
						math.Cos(float64((2*y+1)*v)*math.Pi/float64(2*n))
				}
			}
			out[y*n+x] = min(255, max(0, math.Round(sum/8+128)))
		}
	}
	return out
}

// TestReducedIDCT checks every reduced IDCT, in both its sequential
// (idctReduced) and progressive (idctCorner) form, against floatIDCT on
// random blocks shaped like photo blocks (energy falling with frequency,
// many zeros) with random quantization tables, and on extreme ones.
// Fixed-point rounding may be off by one; a wrong constant, sign or output
// order is off by far more. The two forms must agree exactly.
func TestReducedIDCT(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for n := 1; n <= 7; n++ {
		var worst, total float64
		count := 0
		for i := 0; i < 3000; i++ {
			var q, qt, deq block
			for k := range qt {
				qt[k] = int32(1 + rng.IntN(24))
			}
			for v := 0; v < 8; v++ {
				for u := 0; u < 8; u++ {
					k := 8*v + u
					if rng.IntN(3) == 0 {
						continue
					}
					amp := 1024 / float64(1+u+v) / float64(1+u+v)
					if i%10 == 0 {
						amp = 1024 // the whole range, saturating often
					}
					q[k] = int32(rng.NormFloat64() * amp / float64(qt[k]))
				}
			}
			if i%7 == 0 {
				// A flat block, which takes the DC-only fast path.
				for k := 1; k < blockSize; k++ {
					q[k] = 0
				}
			}
			for k := range deq {
				deq[k] = q[k] * qt[k]
			}
			want := floatIDCT(&deq, n)
			corner := make([]int16, n*n)
			for v := 0; v < n; v++ {
				for u := 0; u < n; u++ {
					corner[v*n+u] = int16(q[8*v+u])
				}
			}
			seq, prog := make([]byte, 8*8), make([]byte, 8*8)
			idctReduced(&q, &qt, n, seq, 8)
			idctCorner(corner, &qt, n, prog, 8)
			if !bytes.Equal(seq, prog) {
				t.Fatalf("%d/8: idctReduced gives %v, idctCorner %v", n, seq, prog)
			}
			for y := 0; y < n; y++ {
				for x := 0; x < n; x++ {
					d := math.Abs(float64(seq[8*y+x]) - want[y*n+x])
					worst = max(worst, d)
					total += d
					count++
				}
			}
		}
		t.Logf("%d/8: max error %.0f, mean %.4f", n, worst, total/float64(count))
		if worst > 1 || total/float64(count) > 0.05 {
			t.Errorf("%d/8: max error %.0f, mean %.4f against the float IDCT, want <= 1 and <= 0.05", n, worst, total/float64(count))
		}
	}
}

// TestGeneratedIDCTUpToDate runs the generator and checks that the
// committed idct_gen.go is what it writes, so that neither is edited alone.
func TestGeneratedIDCTUpToDate(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH")
	}
	out := filepath.Join(t.TempDir(), "idct_gen.go")
	if msg, err := exec.Command(gobin, "run", "gen_idct.go", "-o", out).CombinedOutput(); err != nil {
		t.Fatalf("go run gen_idct.go: %v\n%s", err, msg)
	}
	want, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("idct_gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("idct_gen.go differs from what gen_idct.go writes; run go generate")
	}
}
