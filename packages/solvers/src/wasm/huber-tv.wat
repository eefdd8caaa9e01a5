;; Fused Huber-TV kernels (float64, WebAssembly SIMD f64x2): PDHG and piggyback iterations in one
;; sweep over the rows, and their certificates (Lemma 2, Lemma 3 at the pair) in a few sweeps.
;;
;; Problem: g(x) = (λ/2)‖x‖² − ⟨c, x⟩ + const, K = s∇ (forward differences, Neumann, range
;; [2, C, H, W] with the x-differences first), f* = Huber conjugate (κ = ε/α, radius α) grouped
;; per pixel and channel (isotropic) or per entry (anisotropic), loss ℓ(x) = (c_ℓ/2)‖x − t‖².
;;
;; Every row is processed in pairs of columns, the boundary handled by masks (mX: the forward
;; x-difference exists, mL: the left neighbour's does, mV: the column exists) instead of scalar
;; edge code. With an odd width the last pair's second lane is the element after the row (the next
;; row's first, or padding): what it computes is dropped (sums are masked by mV, and every array,
;; iterate or scratch, is stored lane by lane there, so no row's sweep writes into another row).
;; Every array is surrounded by padding, so no access leaves the memory.
;;
;; Row bands (threads): the rows of all channels (global row r = channel·H + i) are split into P
;; bands, band b the rows bands[b] ≤ r < bands[b + 1]; each band has its own ring. A step is, for
;; each band, `stepBandHead` (x̄ and dual step of its first row), `stepBandBody` (x̄, dual and
;; primal steps of its other rows) and `stepBandNext` (the primal step of the next band's first
;; row: it reads y of that row, which the next band's head updates, and of the band's last row,
;; and overwrites the x that both bands read for their x̄ of that row), then `sumRows`. The bands
;; may run in parallel (worker threads, one instance each on a shared memory): band b's
;; `stepBandNext` waits only for band b + 1's `stepBandHead`, usually long done. Every row
;; computes exactly what it computes in the one-band order, and the sums are kept per row and
;; added in row order (`sumRows`, `certSums`), so the results are bit-identical for any number of
;; bands. A certificate is `certBand` of every band for each pass (all bands finish a pass before
;; the next starts), then `certSums`.
;;
;; @shared-memory-variant (assembled a second time with a shared memory, for the worker threads)
;;
;; Parameter block at byte 0 (set by the host, read by every export):
;;   i32:  0 C   4 H   8 W
;;        16 x  20 xPrev  24 y0  28 y1  32 c (linear term of g)  36 X  40 XPrev  44 Y0  48 Y1  52 t (target)
;;        56 ring (4 rows of W+2: x̄ slots 0, 1, then X̄ slots 0, 1)  60 zero row  64 mX  68 mL  72 mV
;;        76 E0  80 E1  84 Q0  88 Q1  92 R0  96 R1  100 D   (certificate scratch, N each)
;;        104 isotropic flag (1: per-pixel groups)   108 F0  112 F1  116 H0  120 H1 (certificate scratch, N each)
;;        124 row sums (C·H f64: Σ(x⁺ − x)² per row)   400 bands (P + 1 i32: first rows, then C·H)
;;        404 row certificates (C·H × 10 f64: the sums of 264…336 per row)   408 P (number of bands)
;;        (the ring at 56 holds P rings, band b's at ring + b·4·(W + 2)·8)
;;   f64: 128 σs  136 shrink = α/(α+σε)  144 α  152 τs  160 τ  168 1/(1+τλ)  176 ϑ  184 τc_ℓ
;;        192 s  200 λ  208 ε  216 c_ℓ  224 κ  232 inner band ‖y‖² ≥ α²(1−1e-10)²
;;        240 isotropic mask (i64: all ones, or 0)
;;        344 1/α²  352 1/α  360 ε/α  368 1/(2ε)  376 α/ε (both 0 when ε = 0)  384 1/λ  392 1/(2λ)
;;        (quotients computed once by the host: V8 would compute them in every pass of a loop)
;;   results (f64): 256 Σ(x⁺ − x)²  264 Σ Huber_ε(|u|)  272 Σ r_x²  280 Σ (λ/2)x² − cx  288 Σ (w + c)²/(2λ)
;;        296 Σ‖s_y‖²  304 ‖y‖²  312 max ‖y_j‖²  320 Σ e_X²  328 Σ e_Y²  336 ‖Y − PY‖²
(module
  (import "env" "memory" (memory 1))

  ;; ---- small helpers ----
  (func $hsum (param $v v128) (result f64)
    (f64.add (f64x2.extract_lane 0 (local.get $v)) (f64x2.extract_lane 1 (local.get $v))))
  (func $hmax (param $v v128) (result f64)
    (f64.max (f64x2.extract_lane 0 (local.get $v)) (f64x2.extract_lane 1 (local.get $v))))
  (func $p (param $at i32) (result i32) (i32.load (local.get $at)))
  (func $f (param $at i32) (result f64) (f64.load (local.get $at)))

  ;; x̄ = x + ϑ(x − x_prev) on one row into a ring slot (the slot has W+2 entries; an odd width's
  ;; last pair stores one lane, so the entries from column W on are never written: they stay 0).
  (func $xbarRow (param $dst i32) (param $x i32) (param $xp i32) (param $n i32) (param $theta f64)
    (local $j i32) (local $th v128) (local $v v128)
    (local.set $th (f64x2.splat (local.get $theta)))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $j) (local.get $n)))
      (local.set $v (v128.load align=8 (i32.add (local.get $x) (local.get $j))))
      (local.set $v (f64x2.add (local.get $v) (f64x2.mul (local.get $th)
        (f64x2.sub (local.get $v) (v128.load align=8 (i32.add (local.get $xp) (local.get $j)))))))
      (if (i32.le_u (i32.add (local.get $j) (i32.const 16)) (local.get $n))
        (then (v128.store align=8 (i32.add (local.get $dst) (local.get $j)) (local.get $v)))
        (else (v128.store64_lane align=8 0 (i32.add (local.get $dst) (local.get $j)) (local.get $v))))
      (local.set $j (i32.add (local.get $j) (i32.const 16)))
      (br $l))))

  ;; ---- the PDHG dual step on one row: w = y + σs∇x̄, y = min(shrink, α/‖w‖)·w ----
  ;; xb: x̄ row i (ring), dW: offset to x̄ row i+1 (0 on the last row), n: row bytes.
  (func $dualIso (param $xb i32) (param $dW i32) (param $y0 i32) (param $y1 i32) (param $mX i32) (param $n i32)
                 (param $sk f64) (param $shrink f64) (param $alpha f64)
    (local $j i32) (local $skv v128) (local $cv v128) (local $av v128)
    (local $v v128) (local $w0 v128) (local $w1 v128) (local $sc v128)
    (local.set $skv (f64x2.splat (local.get $sk)))
    (local.set $cv (f64x2.splat (local.get $shrink)))
    (local.set $av (f64x2.splat (local.get $alpha)))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $j) (local.get $n)))
      (local.set $v (v128.load align=8 (i32.add (local.get $xb) (local.get $j))))
      (local.set $w0 (f64x2.add (v128.load align=8 (i32.add (local.get $y0) (local.get $j)))
        (f64x2.mul (local.get $skv) (f64x2.mul (v128.load align=8 (i32.add (local.get $mX) (local.get $j)))
          (f64x2.sub (v128.load offset=8 align=8 (i32.add (local.get $xb) (local.get $j))) (local.get $v))))))
      (local.set $w1 (f64x2.add (v128.load align=8 (i32.add (local.get $y1) (local.get $j)))
        (f64x2.mul (local.get $skv)
          (f64x2.sub (v128.load align=8 (i32.add (i32.add (local.get $xb) (local.get $dW)) (local.get $j))) (local.get $v)))))
      (local.set $sc (f64x2.pmin (local.get $cv)
        (f64x2.div (local.get $av) (f64x2.sqrt (f64x2.add (f64x2.mul (local.get $w0) (local.get $w0)) (f64x2.mul (local.get $w1) (local.get $w1)))))))
      (local.set $w0 (f64x2.mul (local.get $sc) (local.get $w0)))
      (local.set $w1 (f64x2.mul (local.get $sc) (local.get $w1)))
      (if (i32.le_u (i32.add (local.get $j) (i32.const 16)) (local.get $n))
        (then (v128.store align=8 (i32.add (local.get $y0) (local.get $j)) (local.get $w0)) (v128.store align=8 (i32.add (local.get $y1) (local.get $j)) (local.get $w1)))
        (else (v128.store64_lane align=8 0 (i32.add (local.get $y0) (local.get $j)) (local.get $w0)) (v128.store64_lane align=8 0 (i32.add (local.get $y1) (local.get $j)) (local.get $w1))))
      (local.set $j (i32.add (local.get $j) (i32.const 16)))
      (br $l))))

  ;; The anisotropic dual step: each entry clipped on its own, y = min(shrink, α/|w|)·w.
  (func $dualAniso (param $xb i32) (param $dW i32) (param $y0 i32) (param $y1 i32) (param $mX i32) (param $n i32)
                   (param $sk f64) (param $shrink f64) (param $alpha f64)
    (local $j i32) (local $skv v128) (local $cv v128) (local $av v128)
    (local $v v128) (local $w0 v128) (local $w1 v128)
    (local.set $skv (f64x2.splat (local.get $sk)))
    (local.set $cv (f64x2.splat (local.get $shrink)))
    (local.set $av (f64x2.splat (local.get $alpha)))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $j) (local.get $n)))
      (local.set $v (v128.load align=8 (i32.add (local.get $xb) (local.get $j))))
      (local.set $w0 (f64x2.add (v128.load align=8 (i32.add (local.get $y0) (local.get $j)))
        (f64x2.mul (local.get $skv) (f64x2.mul (v128.load align=8 (i32.add (local.get $mX) (local.get $j)))
          (f64x2.sub (v128.load offset=8 align=8 (i32.add (local.get $xb) (local.get $j))) (local.get $v))))))
      (local.set $w1 (f64x2.add (v128.load align=8 (i32.add (local.get $y1) (local.get $j)))
        (f64x2.mul (local.get $skv)
          (f64x2.sub (v128.load align=8 (i32.add (i32.add (local.get $xb) (local.get $dW)) (local.get $j))) (local.get $v)))))
      (local.set $w0 (f64x2.mul (f64x2.pmin (local.get $cv) (f64x2.div (local.get $av) (f64x2.abs (local.get $w0)))) (local.get $w0)))
      (local.set $w1 (f64x2.mul (f64x2.pmin (local.get $cv) (f64x2.div (local.get $av) (f64x2.abs (local.get $w1)))) (local.get $w1)))
      (if (i32.le_u (i32.add (local.get $j) (i32.const 16)) (local.get $n))
        (then (v128.store align=8 (i32.add (local.get $y0) (local.get $j)) (local.get $w0)) (v128.store align=8 (i32.add (local.get $y1) (local.get $j)) (local.get $w1)))
        (else (v128.store64_lane align=8 0 (i32.add (local.get $y0) (local.get $j)) (local.get $w0)) (v128.store64_lane align=8 0 (i32.add (local.get $y1) (local.get $j)) (local.get $w1))))
      (local.set $j (i32.add (local.get $j) (i32.const 16)))
      (br $l))))

  ;; ---- the piggyback dual step on one row: the PDHG dual step, and on the adjoint
  ;; t = Y + σs∇X̄, Y = J(w)·t with J(w) = shrink·I where shrink·‖w‖ ≤ α, else
  ;; (α/r)(I − wwᵀ/r²), r = ‖w‖ (the prox Jacobian of the Huber conjugate at w).
  (func $dualIsoAdj (param $xb i32) (param $Xb i32) (param $dW i32) (param $y0 i32) (param $y1 i32) (param $Y0 i32) (param $Y1 i32)
                    (param $mX i32) (param $n i32) (param $sk f64) (param $shrink f64) (param $alpha f64)
    (local $j i32) (local $skv v128) (local $cv v128) (local $av v128) (local $mx v128)
    (local $v v128) (local $w0 v128) (local $w1 v128) (local $r2 v128) (local $r v128) (local $a v128)
    (local $t0 v128) (local $t1 v128) (local $k v128) (local $act v128) (local $n0 v128) (local $n1 v128)
    (local $ia2 v128)
    (local.set $ia2 (f64x2.splat (call $f (i32.const 344))))
    (local.set $skv (f64x2.splat (local.get $sk)))
    (local.set $cv (f64x2.splat (local.get $shrink)))
    (local.set $av (f64x2.splat (local.get $alpha)))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $j) (local.get $n)))
      (local.set $mx (v128.load align=8 (i32.add (local.get $mX) (local.get $j))))
      (local.set $v (v128.load align=8 (i32.add (local.get $xb) (local.get $j))))
      (local.set $w0 (f64x2.add (v128.load align=8 (i32.add (local.get $y0) (local.get $j)))
        (f64x2.mul (local.get $skv) (f64x2.mul (local.get $mx)
          (f64x2.sub (v128.load offset=8 align=8 (i32.add (local.get $xb) (local.get $j))) (local.get $v))))))
      (local.set $w1 (f64x2.add (v128.load align=8 (i32.add (local.get $y1) (local.get $j)))
        (f64x2.mul (local.get $skv)
          (f64x2.sub (v128.load align=8 (i32.add (i32.add (local.get $xb) (local.get $dW)) (local.get $j))) (local.get $v)))))
      (local.set $r2 (f64x2.add (f64x2.mul (local.get $w0) (local.get $w0)) (f64x2.mul (local.get $w1) (local.get $w1))))
      (local.set $r (f64x2.sqrt (local.get $r2)))
      (local.set $a (f64x2.div (local.get $av) (local.get $r)))
      (local.set $k (f64x2.pmin (local.get $cv) (local.get $a)))
      (local.set $n0 (f64x2.mul (local.get $k) (local.get $w0)))
      (local.set $n1 (f64x2.mul (local.get $k) (local.get $w1)))
      ;; adjoint
      (local.set $v (v128.load align=8 (i32.add (local.get $Xb) (local.get $j))))
      (local.set $t0 (f64x2.add (v128.load align=8 (i32.add (local.get $Y0) (local.get $j)))
        (f64x2.mul (local.get $skv) (f64x2.mul (local.get $mx)
          (f64x2.sub (v128.load offset=8 align=8 (i32.add (local.get $Xb) (local.get $j))) (local.get $v))))))
      (local.set $t1 (f64x2.add (v128.load align=8 (i32.add (local.get $Y1) (local.get $j)))
        (f64x2.mul (local.get $skv)
          (f64x2.sub (v128.load align=8 (i32.add (i32.add (local.get $Xb) (local.get $dW)) (local.get $j))) (local.get $v)))))
      (local.set $act (f64x2.gt (f64x2.mul (local.get $cv) (local.get $r)) (local.get $av)))
      ;; active: a·t − (a/r²)·⟨w, t⟩·w
      (local.set $k (f64x2.mul (f64x2.mul (f64x2.mul (local.get $a) (local.get $a)) (f64x2.mul (local.get $a) (local.get $ia2)))
        (f64x2.add (f64x2.mul (local.get $w0) (local.get $t0)) (f64x2.mul (local.get $w1) (local.get $t1)))))
      (local.set $t0 (v128.bitselect
        (f64x2.sub (f64x2.mul (local.get $a) (local.get $t0)) (f64x2.mul (local.get $k) (local.get $w0)))
        (f64x2.mul (local.get $cv) (local.get $t0)) (local.get $act)))
      (local.set $t1 (v128.bitselect
        (f64x2.sub (f64x2.mul (local.get $a) (local.get $t1)) (f64x2.mul (local.get $k) (local.get $w1)))
        (f64x2.mul (local.get $cv) (local.get $t1)) (local.get $act)))
      (if (i32.le_u (i32.add (local.get $j) (i32.const 16)) (local.get $n))
        (then (v128.store align=8 (i32.add (local.get $y0) (local.get $j)) (local.get $n0)) (v128.store align=8 (i32.add (local.get $y1) (local.get $j)) (local.get $n1)) (v128.store align=8 (i32.add (local.get $Y0) (local.get $j)) (local.get $t0)) (v128.store align=8 (i32.add (local.get $Y1) (local.get $j)) (local.get $t1)))
        (else (v128.store64_lane align=8 0 (i32.add (local.get $y0) (local.get $j)) (local.get $n0)) (v128.store64_lane align=8 0 (i32.add (local.get $y1) (local.get $j)) (local.get $n1)) (v128.store64_lane align=8 0 (i32.add (local.get $Y0) (local.get $j)) (local.get $t0)) (v128.store64_lane align=8 0 (i32.add (local.get $Y1) (local.get $j)) (local.get $t1))))
      (local.set $j (i32.add (local.get $j) (i32.const 16)))
      (br $l))))

  ;; The anisotropic piggyback dual step: per entry, Y = shrink·t where shrink·|w| ≤ α, else 0.
  (func $dualAnisoAdj (param $xb i32) (param $Xb i32) (param $dW i32) (param $y0 i32) (param $y1 i32) (param $Y0 i32) (param $Y1 i32)
                      (param $mX i32) (param $n i32) (param $sk f64) (param $shrink f64) (param $alpha f64)
    (local $j i32) (local $skv v128) (local $cv v128) (local $av v128) (local $mx v128)
    (local $v v128) (local $w0 v128) (local $w1 v128) (local $r0 v128) (local $r1 v128) (local $t0 v128) (local $t1 v128)
    (local.set $skv (f64x2.splat (local.get $sk)))
    (local.set $cv (f64x2.splat (local.get $shrink)))
    (local.set $av (f64x2.splat (local.get $alpha)))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $j) (local.get $n)))
      (local.set $mx (v128.load align=8 (i32.add (local.get $mX) (local.get $j))))
      (local.set $v (v128.load align=8 (i32.add (local.get $xb) (local.get $j))))
      (local.set $w0 (f64x2.add (v128.load align=8 (i32.add (local.get $y0) (local.get $j)))
        (f64x2.mul (local.get $skv) (f64x2.mul (local.get $mx)
          (f64x2.sub (v128.load offset=8 align=8 (i32.add (local.get $xb) (local.get $j))) (local.get $v))))))
      (local.set $w1 (f64x2.add (v128.load align=8 (i32.add (local.get $y1) (local.get $j)))
        (f64x2.mul (local.get $skv)
          (f64x2.sub (v128.load align=8 (i32.add (i32.add (local.get $xb) (local.get $dW)) (local.get $j))) (local.get $v)))))
      (local.set $r0 (f64x2.abs (local.get $w0)))
      (local.set $r1 (f64x2.abs (local.get $w1)))
      (local.set $w0 (f64x2.mul (f64x2.pmin (local.get $cv) (f64x2.div (local.get $av) (local.get $r0))) (local.get $w0)))
      (local.set $w1 (f64x2.mul (f64x2.pmin (local.get $cv) (f64x2.div (local.get $av) (local.get $r1))) (local.get $w1)))
      (local.set $v (v128.load align=8 (i32.add (local.get $Xb) (local.get $j))))
      (local.set $t0 (f64x2.add (v128.load align=8 (i32.add (local.get $Y0) (local.get $j)))
        (f64x2.mul (local.get $skv) (f64x2.mul (local.get $mx)
          (f64x2.sub (v128.load offset=8 align=8 (i32.add (local.get $Xb) (local.get $j))) (local.get $v))))))
      (local.set $t1 (f64x2.add (v128.load align=8 (i32.add (local.get $Y1) (local.get $j)))
        (f64x2.mul (local.get $skv)
          (f64x2.sub (v128.load align=8 (i32.add (i32.add (local.get $Xb) (local.get $dW)) (local.get $j))) (local.get $v)))))
      ;; inactive where shrink·|w| ≤ α (the comparison is false for NaN: then the entry is kept)
      (local.set $t0 (v128.andnot (f64x2.mul (local.get $cv) (local.get $t0)) (f64x2.gt (f64x2.mul (local.get $cv) (local.get $r0)) (local.get $av))))
      (local.set $t1 (v128.andnot (f64x2.mul (local.get $cv) (local.get $t1)) (f64x2.gt (f64x2.mul (local.get $cv) (local.get $r1)) (local.get $av))))
      (if (i32.le_u (i32.add (local.get $j) (i32.const 16)) (local.get $n))
        (then (v128.store align=8 (i32.add (local.get $y0) (local.get $j)) (local.get $w0)) (v128.store align=8 (i32.add (local.get $y1) (local.get $j)) (local.get $w1)) (v128.store align=8 (i32.add (local.get $Y0) (local.get $j)) (local.get $t0)) (v128.store align=8 (i32.add (local.get $Y1) (local.get $j)) (local.get $t1)))
        (else (v128.store64_lane align=8 0 (i32.add (local.get $y0) (local.get $j)) (local.get $w0)) (v128.store64_lane align=8 0 (i32.add (local.get $y1) (local.get $j)) (local.get $w1)) (v128.store64_lane align=8 0 (i32.add (local.get $Y0) (local.get $j)) (local.get $t0)) (v128.store64_lane align=8 0 (i32.add (local.get $Y1) (local.get $j)) (local.get $t1))))
      (local.set $j (i32.add (local.get $j) (i32.const 16)))
      (br $l))))

  ;; Neumann divergence of (q0, q1) on a pair: q0[j]·mX[j] − q0[j−1]·mL[j] + q1own[j] − q1up[j]
  ;; (q1own, q1up: the rows of q1 at i and i − 1, or the zero row where the term is dropped).
  ;; @inline
  (func $div (param $q0 i32) (param $q1own i32) (param $q1up i32) (param $mX i32) (param $mL i32) (param $j i32) (result v128)
    (f64x2.add
      (f64x2.sub
        (f64x2.mul (v128.load align=8 (i32.add (local.get $q0) (local.get $j))) (v128.load align=8 (i32.add (local.get $mX) (local.get $j))))
        (f64x2.mul (v128.load align=8 (i32.sub (i32.add (local.get $q0) (local.get $j)) (i32.const 8))) (v128.load align=8 (i32.add (local.get $mL) (local.get $j)))))
      (f64x2.sub
        (v128.load align=8 (i32.add (local.get $q1own) (local.get $j)))
        (v128.load align=8 (i32.add (local.get $q1up) (local.get $j))))))

  ;; ---- the primal step on one row: x⁺ = (x + τs div y + τc)/(1 + τλ); x_prev ← x.
  ;; Returns Σ(x⁺ − x)² over the row's columns.
  (func $primal (param $x i32) (param $xp i32) (param $y0 i32) (param $y1own i32) (param $y1up i32) (param $c i32)
                (param $mX i32) (param $mL i32) (param $mV i32) (param $n i32)
                (param $tk f64) (param $tau f64) (param $inv f64) (result f64)
    (local $j i32) (local $tkv v128) (local $tv v128) (local $iv v128) (local $acc v128)
    (local $d v128) (local $xo v128) (local $xn v128) (local $dx v128) (local $mx v128) (local $ml v128)
    (local.set $tkv (f64x2.splat (local.get $tk)))
    (local.set $tv (f64x2.splat (local.get $tau)))
    (local.set $iv (f64x2.splat (local.get $inv)))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $j) (local.get $n)))
      (local.set $mx (v128.load align=8 (i32.add (local.get $mX) (local.get $j))))
      (local.set $ml (v128.load align=8 (i32.add (local.get $mL) (local.get $j))))
      (local.set $d (f64x2.add
          (f64x2.sub (f64x2.mul (v128.load align=8 (i32.add (local.get $y0) (local.get $j))) (local.get $mx))
                     (f64x2.mul (v128.load align=8 (i32.sub (i32.add (local.get $y0) (local.get $j)) (i32.const 8))) (local.get $ml)))
          (f64x2.sub (v128.load align=8 (i32.add (local.get $y1own) (local.get $j))) (v128.load align=8 (i32.add (local.get $y1up) (local.get $j))))))
      (local.set $xo (v128.load align=8 (i32.add (local.get $x) (local.get $j))))
      (local.set $xn (f64x2.mul (f64x2.add (f64x2.add (local.get $xo) (f64x2.mul (local.get $tkv) (local.get $d)))
        (f64x2.mul (local.get $tv) (v128.load align=8 (i32.add (local.get $c) (local.get $j))))) (local.get $iv)))
      (if (i32.le_u (i32.add (local.get $j) (i32.const 16)) (local.get $n))
        (then (v128.store align=8 (i32.add (local.get $x) (local.get $j)) (local.get $xn)) (v128.store align=8 (i32.add (local.get $xp) (local.get $j)) (local.get $xo)))
        (else (v128.store64_lane align=8 0 (i32.add (local.get $x) (local.get $j)) (local.get $xn)) (v128.store64_lane align=8 0 (i32.add (local.get $xp) (local.get $j)) (local.get $xo))))
      (local.set $dx (f64x2.sub (local.get $xn) (local.get $xo)))
      (local.set $acc (f64x2.add (local.get $acc)
        (v128.and (f64x2.mul (local.get $dx) (local.get $dx)) (v128.load align=8 (i32.add (local.get $mV) (local.get $j))))))
      (local.set $j (i32.add (local.get $j) (i32.const 16)))
      (br $l)))
    (call $hsum (local.get $acc)))

  ;; The piggyback primal step on one row: the PDHG primal step, and
  ;; X⁺ = (X + τs div Y − τc_ℓ(x − t))/(1 + τλ), X_prev ← X (x the iterate before this step).
  (func $primalAdj (param $x i32) (param $xp i32) (param $y0 i32) (param $y1own i32) (param $y1up i32) (param $c i32)
                   (param $X i32) (param $XP i32) (param $Y0 i32) (param $Y1own i32) (param $Y1up i32) (param $t i32)
                   (param $mX i32) (param $mL i32) (param $mV i32) (param $n i32)
                   (param $tk f64) (param $tau f64) (param $inv f64) (param $tl f64) (result f64)
    (local $j i32) (local $tkv v128) (local $tv v128) (local $iv v128) (local $tlv v128) (local $acc v128)
    (local $xo v128) (local $xn v128) (local $dx v128) (local $Xo v128) (local $Xn v128) (local $mx v128) (local $ml v128)
    (local.set $tkv (f64x2.splat (local.get $tk)))
    (local.set $tv (f64x2.splat (local.get $tau)))
    (local.set $iv (f64x2.splat (local.get $inv)))
    (local.set $tlv (f64x2.splat (local.get $tl)))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $j) (local.get $n)))
      (local.set $mx (v128.load align=8 (i32.add (local.get $mX) (local.get $j))))
      (local.set $ml (v128.load align=8 (i32.add (local.get $mL) (local.get $j))))
      (local.set $xo (v128.load align=8 (i32.add (local.get $x) (local.get $j))))
      (local.set $xn (f64x2.mul (f64x2.add (f64x2.add (local.get $xo)
          (f64x2.mul (local.get $tkv) (f64x2.add
          (f64x2.sub (f64x2.mul (v128.load align=8 (i32.add (local.get $y0) (local.get $j))) (local.get $mx))
                     (f64x2.mul (v128.load align=8 (i32.sub (i32.add (local.get $y0) (local.get $j)) (i32.const 8))) (local.get $ml)))
          (f64x2.sub (v128.load align=8 (i32.add (local.get $y1own) (local.get $j))) (v128.load align=8 (i32.add (local.get $y1up) (local.get $j)))))))
        (f64x2.mul (local.get $tv) (v128.load align=8 (i32.add (local.get $c) (local.get $j))))) (local.get $iv)))
      (local.set $dx (f64x2.sub (local.get $xn) (local.get $xo)))
      (local.set $acc (f64x2.add (local.get $acc)
        (v128.and (f64x2.mul (local.get $dx) (local.get $dx)) (v128.load align=8 (i32.add (local.get $mV) (local.get $j))))))
      (local.set $Xo (v128.load align=8 (i32.add (local.get $X) (local.get $j))))
      (local.set $Xn
        (f64x2.mul (f64x2.sub (f64x2.add (local.get $Xo)
            (f64x2.mul (local.get $tkv) (f64x2.add
          (f64x2.sub (f64x2.mul (v128.load align=8 (i32.add (local.get $Y0) (local.get $j))) (local.get $mx))
                     (f64x2.mul (v128.load align=8 (i32.sub (i32.add (local.get $Y0) (local.get $j)) (i32.const 8))) (local.get $ml)))
          (f64x2.sub (v128.load align=8 (i32.add (local.get $Y1own) (local.get $j))) (v128.load align=8 (i32.add (local.get $Y1up) (local.get $j)))))))
          (f64x2.mul (local.get $tlv) (f64x2.sub (local.get $xo) (v128.load align=8 (i32.add (local.get $t) (local.get $j))))))
          (local.get $iv)))
      (if (i32.le_u (i32.add (local.get $j) (i32.const 16)) (local.get $n))
        (then (v128.store align=8 (i32.add (local.get $x) (local.get $j)) (local.get $xn)) (v128.store align=8 (i32.add (local.get $xp) (local.get $j)) (local.get $xo)) (v128.store align=8 (i32.add (local.get $X) (local.get $j)) (local.get $Xn)) (v128.store align=8 (i32.add (local.get $XP) (local.get $j)) (local.get $Xo)))
        (else (v128.store64_lane align=8 0 (i32.add (local.get $x) (local.get $j)) (local.get $xn)) (v128.store64_lane align=8 0 (i32.add (local.get $xp) (local.get $j)) (local.get $xo)) (v128.store64_lane align=8 0 (i32.add (local.get $X) (local.get $j)) (local.get $Xn)) (v128.store64_lane align=8 0 (i32.add (local.get $XP) (local.get $j)) (local.get $Xo))))
      (local.set $j (i32.add (local.get $j) (i32.const 16)))
      (br $l)))
    (call $hsum (local.get $acc)))

  ;; x̄ (and with the adjoint X̄, two slots further) of the row at byte offset o into the ring slot at dst.
  (func $xbarSlot (param $adjoint i32) (param $dst i32) (param $o i32)
    (local $n i32) (local $theta f64)
    (local.set $n (i32.shl (call $p (i32.const 8)) (i32.const 3)))
    (local.set $theta (call $f (i32.const 176)))
    (call $xbarRow (local.get $dst) (i32.add (call $p (i32.const 16)) (local.get $o)) (i32.add (call $p (i32.const 20)) (local.get $o))
      (local.get $n) (local.get $theta))
    (if (local.get $adjoint) (then
      (call $xbarRow (i32.add (local.get $dst) (i32.shl (i32.add (local.get $n) (i32.const 16)) (i32.const 1)))
        (i32.add (call $p (i32.const 36)) (local.get $o)) (i32.add (call $p (i32.const 40)) (local.get $o)) (local.get $n) (local.get $theta)))))

  ;; The dual step (PDHG, or with the adjoint the piggyback's) of the row at byte offset o: x̄ of the
  ;; row in the ring slot cur, of the next row at cur + dW (dW = 0 on a channel's last row).
  (func $dualRow (param $adjoint i32) (param $cur i32) (param $dW i32) (param $o i32)
    (local $n i32) (local $y0 i32) (local $y1 i32) (local $Y0 i32) (local $Y1 i32) (local $Xb i32) (local $mX i32)
    (local $sk f64) (local $shrink f64) (local $alpha f64)
    (local.set $n (i32.shl (call $p (i32.const 8)) (i32.const 3)))
    (local.set $y0 (i32.add (call $p (i32.const 24)) (local.get $o)))
    (local.set $y1 (i32.add (call $p (i32.const 28)) (local.get $o)))
    (local.set $Y0 (i32.add (call $p (i32.const 44)) (local.get $o)))
    (local.set $Y1 (i32.add (call $p (i32.const 48)) (local.get $o)))
    (local.set $Xb (i32.add (local.get $cur) (i32.shl (i32.add (local.get $n) (i32.const 16)) (i32.const 1))))
    (local.set $mX (call $p (i32.const 64)))
    (local.set $sk (call $f (i32.const 128))) (local.set $shrink (call $f (i32.const 136))) (local.set $alpha (call $f (i32.const 144)))
    (if (local.get $adjoint)
      (then (if (call $p (i32.const 104))
        (then (call $dualIsoAdj (local.get $cur) (local.get $Xb) (local.get $dW) (local.get $y0) (local.get $y1) (local.get $Y0) (local.get $Y1)
          (local.get $mX) (local.get $n) (local.get $sk) (local.get $shrink) (local.get $alpha)))
        (else (call $dualAnisoAdj (local.get $cur) (local.get $Xb) (local.get $dW) (local.get $y0) (local.get $y1) (local.get $Y0) (local.get $Y1)
          (local.get $mX) (local.get $n) (local.get $sk) (local.get $shrink) (local.get $alpha)))))
      (else (if (call $p (i32.const 104))
        (then (call $dualIso (local.get $cur) (local.get $dW) (local.get $y0) (local.get $y1)
          (local.get $mX) (local.get $n) (local.get $sk) (local.get $shrink) (local.get $alpha)))
        (else (call $dualAniso (local.get $cur) (local.get $dW) (local.get $y0) (local.get $y1)
          (local.get $mX) (local.get $n) (local.get $sk) (local.get $shrink) (local.get $alpha)))))))

  ;; The primal step (PDHG, or with the adjoint the piggyback's) of row i of a channel at byte
  ;; offset o, reading y1 on rows i (or the zero row on the last row) and i − 1 (or the zero row on
  ;; the first). Returns Σ(x⁺ − x)² over the row.
  (func $primalRow (param $adjoint i32) (param $i i32) (param $o i32) (result f64)
    (local $n i32) (local $zero i32) (local $own i32) (local $up i32) (local $y1 i32) (local $Y1 i32)
    (local.set $n (i32.shl (call $p (i32.const 8)) (i32.const 3)))
    (local.set $zero (call $p (i32.const 60)))
    (local.set $y1 (call $p (i32.const 28)))
    (local.set $Y1 (call $p (i32.const 48)))
    (local.set $own (select (i32.const 0) (i32.const -1) (i32.lt_u (i32.add (local.get $i) (i32.const 1)) (call $p (i32.const 4)))))
    (local.set $up (i32.gt_u (local.get $i) (i32.const 0)))
    (if (result f64) (local.get $adjoint)
      (then (call $primalAdj
        (i32.add (call $p (i32.const 16)) (local.get $o)) (i32.add (call $p (i32.const 20)) (local.get $o)) (i32.add (call $p (i32.const 24)) (local.get $o))
        (select (local.get $zero) (i32.add (local.get $y1) (local.get $o)) (local.get $own))
        (select (i32.sub (i32.add (local.get $y1) (local.get $o)) (local.get $n)) (local.get $zero) (local.get $up))
        (i32.add (call $p (i32.const 32)) (local.get $o))
        (i32.add (call $p (i32.const 36)) (local.get $o)) (i32.add (call $p (i32.const 40)) (local.get $o)) (i32.add (call $p (i32.const 44)) (local.get $o))
        (select (local.get $zero) (i32.add (local.get $Y1) (local.get $o)) (local.get $own))
        (select (i32.sub (i32.add (local.get $Y1) (local.get $o)) (local.get $n)) (local.get $zero) (local.get $up))
        (i32.add (call $p (i32.const 52)) (local.get $o))
        (call $p (i32.const 64)) (call $p (i32.const 68)) (call $p (i32.const 72)) (local.get $n)
        (call $f (i32.const 152)) (call $f (i32.const 160)) (call $f (i32.const 168)) (call $f (i32.const 184))))
      (else (call $primal
        (i32.add (call $p (i32.const 16)) (local.get $o)) (i32.add (call $p (i32.const 20)) (local.get $o)) (i32.add (call $p (i32.const 24)) (local.get $o))
        (select (local.get $zero) (i32.add (local.get $y1) (local.get $o)) (local.get $own))
        (select (i32.sub (i32.add (local.get $y1) (local.get $o)) (local.get $n)) (local.get $zero) (local.get $up))
        (i32.add (call $p (i32.const 32)) (local.get $o))
        (call $p (i32.const 64)) (call $p (i32.const 68)) (call $p (i32.const 72)) (local.get $n)
        (call $f (i32.const 152)) (call $f (i32.const 160)) (call $f (i32.const 168))))))

  ;; Rows from ≤ r < to of band b of one PDHG iteration (adjoint = 0) or piggyback iteration
  ;; (adjoint = 1), in one sweep: x̄ of row r + 1 into the band's ring (from x, x_prev not yet
  ;; updated), the dual step of row r (x̄ rows r, r + 1), then the primal step of row r (y rows r,
  ;; r − 1, already updated) with its Σ(x⁺ − x)² into the row sums — except for the band's first
  ;; row when b > 0: that primal step is the band above's (`stepBandNext`).
  (func $stepRows (param $adjoint i32) (param $b i32) (param $from i32) (param $to i32)
    (local $H i32) (local $n i32) (local $rs i32) (local $ring i32) (local $rows i32)
    (local $r i32) (local $r0 i32) (local $i i32) (local $o i32) (local $cur i32) (local $nxt i32) (local $dW i32)
    (local.set $H (call $p (i32.const 4)))
    (local.set $n (i32.shl (call $p (i32.const 8)) (i32.const 3)))
    (local.set $rs (i32.add (local.get $n) (i32.const 16)))
    (local.set $r0 (i32.load (i32.add (call $p (i32.const 400)) (i32.shl (local.get $b) (i32.const 2)))))
    (local.set $rows (call $p (i32.const 124)))
    (local.set $ring (i32.add (call $p (i32.const 56)) (i32.mul (local.get $b) (i32.shl (local.get $rs) (i32.const 2)))))
    (local.set $r (local.get $from))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $r) (local.get $to)))
      (local.set $i (i32.rem_u (local.get $r) (local.get $H)))
      (local.set $o (i32.mul (local.get $r) (local.get $n)))
      (local.set $cur (i32.add (local.get $ring) (i32.mul (i32.and (local.get $i) (i32.const 1)) (local.get $rs))))
      ;; x̄ of the band's first row and of each channel's first row (the others come from the row above)
      (if (i32.or (i32.eq (local.get $r) (local.get $r0)) (i32.eqz (local.get $i)))
        (then (call $xbarSlot (local.get $adjoint) (local.get $cur) (local.get $o))))
      (local.set $dW (i32.const 0))
      (if (i32.lt_u (i32.add (local.get $i) (i32.const 1)) (local.get $H)) (then
        (local.set $nxt (i32.add (local.get $ring) (i32.mul (i32.and (i32.add (local.get $i) (i32.const 1)) (i32.const 1)) (local.get $rs))))
        (local.set $dW (i32.sub (local.get $nxt) (local.get $cur)))
        (call $xbarSlot (local.get $adjoint) (local.get $nxt) (i32.add (local.get $o) (local.get $n)))))
      (call $dualRow (local.get $adjoint) (local.get $cur) (local.get $dW) (local.get $o))
      (if (i32.or (i32.ne (local.get $r) (local.get $r0)) (i32.eqz (local.get $b))) (then
        (f64.store (i32.add (local.get $rows) (i32.shl (local.get $r) (i32.const 3)))
          (call $primalRow (local.get $adjoint) (local.get $i) (local.get $o)))))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $l))))

  ;; Band b's first row (x̄, dual step; band 0 also its primal step).
  (func $stepBandHead (export "stepBandHead") (param $adjoint i32) (param $b i32)
    (local $band i32) (local $r0 i32)
    (local.set $band (i32.add (call $p (i32.const 400)) (i32.shl (local.get $b) (i32.const 2))))
    (local.set $r0 (i32.load (local.get $band)))
    (call $stepRows (local.get $adjoint) (local.get $b) (local.get $r0)
      (select (i32.add (local.get $r0) (i32.const 1)) (local.get $r0) (i32.lt_u (local.get $r0) (i32.load offset=4 (local.get $band))))))

  ;; Band b's other rows.
  (func $stepBandBody (export "stepBandBody") (param $adjoint i32) (param $b i32)
    (local $band i32)
    (local.set $band (i32.add (call $p (i32.const 400)) (i32.shl (local.get $b) (i32.const 2))))
    (call $stepRows (local.get $adjoint) (local.get $b) (i32.add (i32.load (local.get $band)) (i32.const 1)) (i32.load offset=4 (local.get $band))))

  ;; The primal step of band b + 1's first row, its sum into the row sums (after band b's last x̄,
  ;; which read the x it overwrites, and band b + 1's `stepBandHead`, which updated the y it reads).
  (func $stepBandNext (export "stepBandNext") (param $adjoint i32) (param $b i32)
    (local $band i32) (local $r i32)
    (local.set $band (i32.add (call $p (i32.const 400)) (i32.shl (i32.add (local.get $b) (i32.const 1)) (i32.const 2))))
    (local.set $r (i32.load (local.get $band)))
    (if (i32.and (i32.lt_u (i32.add (local.get $b) (i32.const 1)) (call $p (i32.const 408)))
                 (i32.lt_u (local.get $r) (i32.load offset=4 (local.get $band)))) (then
      (f64.store (i32.add (call $p (i32.const 124)) (i32.shl (local.get $r) (i32.const 3)))
        (call $primalRow (local.get $adjoint) (i32.rem_u (local.get $r) (call $p (i32.const 4)))
          (i32.mul (local.get $r) (i32.shl (call $p (i32.const 8)) (i32.const 3))))))))

  ;; Σ(x⁺ − x)² of the last iteration: the row sums added in row order (at 256, and returned).
  (func $sumRows (export "sumRows") (result f64)
    (local $r i32) (local $R i32) (local $rows i32) (local $sum f64)
    (local.set $R (i32.mul (call $p (i32.const 0)) (call $p (i32.const 4))))
    (local.set $rows (call $p (i32.const 124)))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $r) (local.get $R)))
      (local.set $sum (f64.add (local.get $sum) (f64.load (i32.add (local.get $rows) (i32.shl (local.get $r) (i32.const 3))))))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $l)))
    (f64.store (i32.const 256) (local.get $sum))
    (local.get $sum))

  ;; One iteration on this thread: every band's `stepBandHead`, `stepBandBody`, then
  ;; `stepBandNext` (an order the threads also keep), then `sumRows`. Returns Σ(x⁺ − x)².
  (func (export "step") (param $adjoint i32) (result f64)
    (local $b i32) (local $P i32) (local $phase i32)
    (local.set $P (call $p (i32.const 408)))
    (block $pdone (loop $ploop
      (br_if $pdone (i32.ge_u (local.get $phase) (i32.const 3)))
      (local.set $b (i32.const 0))
      (block $bdone (loop $bloop
        (br_if $bdone (i32.ge_u (local.get $b) (local.get $P)))
        (if (i32.eqz (local.get $phase)) (then (call $stepBandHead (local.get $adjoint) (local.get $b))))
        (if (i32.eq (local.get $phase) (i32.const 1)) (then (call $stepBandBody (local.get $adjoint) (local.get $b))))
        (if (i32.eq (local.get $phase) (i32.const 2)) (then (call $stepBandNext (local.get $adjoint) (local.get $b))))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (br $bloop)))
      (local.set $phase (i32.add (local.get $phase) (i32.const 1)))
      (br $ploop)))
    (call $sumRows))

  ;; ---- certificates: sweeps over the rows, each row's sums stored at its row certificate (out + 0 … 72 for 264 … 336) ----
  ;; Per-group norms of a pair of pairs (a0, a1): isotropic ‖(a0, a1)‖² on both, anisotropic a0², a1².
  (global $iso (mut v128) (v128.const i64x2 0 0))
  ;; @inline
  (func $norm0 (param $a0 v128) (param $a1 v128) (param $im v128) (result v128)
    (f64x2.add (f64x2.mul (local.get $a0) (local.get $a0)) (v128.and (f64x2.mul (local.get $a1) (local.get $a1)) (local.get $im))))
  ;; @inline
  (func $norm1 (param $a0 v128) (param $a1 v128) (param $im v128) (result v128)
    (f64x2.add (f64x2.mul (local.get $a1) (local.get $a1)) (v128.and (f64x2.mul (local.get $a0) (local.get $a0)) (local.get $im))))
  ;; ⟨a, b⟩ over the group of component 0 or 1 (isotropic: both components; anisotropic: one).
  ;; @inline
  (func $dot0 (param $a0 v128) (param $a1 v128) (param $b0 v128) (param $b1 v128) (param $im v128) (result v128)
    (f64x2.add (f64x2.mul (local.get $a0) (local.get $b0)) (v128.and (f64x2.mul (local.get $a1) (local.get $b1)) (local.get $im))))
  ;; @inline
  (func $dot1 (param $a0 v128) (param $a1 v128) (param $b0 v128) (param $b1 v128) (param $im v128) (result v128)
    (f64x2.add (f64x2.mul (local.get $a1) (local.get $b1)) (v128.and (f64x2.mul (local.get $a0) (local.get $b0)) (local.get $im))))
  ;; Forward differences of one row of q (scaled by s): (q[j+1] − q[j])·mX and q[j + dW] − q[j].
  ;; @inline
  (func $dx (param $q i32) (param $mX i32) (param $j i32) (param $s v128) (result v128)
    (f64x2.mul (local.get $s) (f64x2.mul (v128.load align=8 (i32.add (local.get $mX) (local.get $j)))
      (f64x2.sub (v128.load offset=8 align=8 (i32.add (local.get $q) (local.get $j))) (v128.load align=8 (i32.add (local.get $q) (local.get $j)))))))
  ;; @inline
  (func $dy (param $q i32) (param $dW i32) (param $j i32) (param $s v128) (result v128)
    (f64x2.mul (local.get $s)
      (f64x2.sub (v128.load align=8 (i32.add (i32.add (local.get $q) (local.get $dW)) (local.get $j))) (v128.load align=8 (i32.add (local.get $q) (local.get $j))))))
  ;; Sweep 1 (Lemma 2): u = s∇x; p = ∇f(u) = αu/max(ε, |u|) into (Q0, Q1); Σ Huber_ε(|u|)
  ;; (t²/(2ε) for t ≤ ε, t − ε/2 beyond; ε = 0: t) into 264; and what sweeps 4
  ;; and 6 need of the generalised Hessians of f* at the pair (y, u) (docs: certificates,
  ;; generalised Hessian at the pair): F = H⁻¹ is α/ε on inactive groups (t = |u| ≤ ε) and
  ;; (α/t)(I − ûûᵀ) on active ones, H is ε/α, resp. (t/α)(I − ûûᵀ), so both are a scale times
  ;; P = HF, the projection onto the free directions (I − ûûᵀ on active groups, I on inactive
  ;; ones). Stored per component: the unit vector û (0 on inactive groups, so Pv = v − û⟨û, v⟩
  ;; everywhere) into (E0, E1), the scales of F into (F0, F1) and of H into (H0, H1).
  (func $sweepGradient (param $x i32) (param $E0 i32) (param $E1 i32) (param $P0 i32) (param $P1 i32)
                       (param $F0 i32) (param $F1 i32) (param $H0 i32) (param $H1 i32)
                       (param $mX i32) (param $mV i32) (param $n i32) (param $dW i32)
                       (param $s f64) (param $alpha f64) (param $eps f64) (param $out i32)
    (local $j i32) (local $im v128) (local $sv v128) (local $av v128) (local $ev v128) (local $e2 v128) (local $he v128) (local $hie v128) (local $aoe v128)
    (local $iav v128) (local $eoa v128) (local $p0 v128) (local $p1 v128) (local $u0 v128) (local $u1 v128)
    (local $f0 v128) (local $f1 v128) (local $h0 v128) (local $h1 v128)
    (local $g0 v128) (local $g1 v128) (local $n0 v128) (local $n1 v128) (local $t0 v128) (local $t1 v128) (local $m0 v128) (local $m1 v128)
    (local $a0 v128) (local $a1 v128) (local $acc v128)
    (local.set $sv (f64x2.splat (local.get $s)))
    (local.set $av (f64x2.splat (local.get $alpha)))
    (local.set $ev (f64x2.splat (local.get $eps)))
    (local.set $e2 (f64x2.mul (local.get $ev) (local.get $ev)))
    (local.set $he (f64x2.mul (f64x2.splat (f64.const 0.5)) (local.get $ev)))
    (local.set $iav (f64x2.splat (call $f (i32.const 352))))
    (local.set $eoa (f64x2.splat (call $f (i32.const 360))))
    ;; ε = 0 (TV): 1/(2ε) and α/ε are used only where |u| ≤ 0, i.e. u = 0: the host stores them as 0
    (local.set $hie (f64x2.splat (call $f (i32.const 368))))
    (local.set $aoe (f64x2.splat (call $f (i32.const 376))))
    (local.set $im (global.get $iso))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $j) (local.get $n)))
      (local.set $g0 (call $dx (local.get $x) (local.get $mX) (local.get $j) (local.get $sv)))
      (local.set $g1 (call $dy (local.get $x) (local.get $dW) (local.get $j) (local.get $sv)))
      (local.set $n0 (call $norm0 (local.get $g0) (local.get $g1) (local.get $im)))
      (local.set $n1 (call $norm1 (local.get $g0) (local.get $g1) (local.get $im)))
      (local.set $t0 (f64x2.sqrt (local.get $n0)))
      (local.set $t1 (f64x2.sqrt (local.get $n1)))
      (local.set $a0 (f64x2.div (local.get $av) (local.get $t0)))
      (local.set $a1 (f64x2.div (local.get $av) (local.get $t1)))
      (local.set $m0 (f64x2.gt (local.get $n0) (local.get $e2)))
      (local.set $m1 (f64x2.gt (local.get $n1) (local.get $e2)))
      (local.set $p0 (f64x2.mul (v128.bitselect (local.get $a0) (local.get $aoe) (local.get $m0)) (local.get $g0)))
      (local.set $p1 (f64x2.mul (v128.bitselect (local.get $a1) (local.get $aoe) (local.get $m1)) (local.get $g1)))
      ;; Huber of each group once: component 0 always, component 1 only when anisotropic
      (local.set $acc (f64x2.add (local.get $acc) (v128.and (v128.load align=8 (i32.add (local.get $mV) (local.get $j))) (f64x2.add
        (v128.bitselect (f64x2.sub (local.get $t0) (local.get $he)) (f64x2.mul (local.get $n0) (local.get $hie)) (local.get $m0))
        (v128.andnot
          (v128.bitselect (f64x2.sub (local.get $t1) (local.get $he)) (f64x2.mul (local.get $n1) (local.get $hie)) (local.get $m1))
          (local.get $im))))))
      ;; at the pair: active where t > ε
      (local.set $m0 (f64x2.gt (local.get $t0) (local.get $ev)))
      (local.set $m1 (f64x2.gt (local.get $t1) (local.get $ev)))
      (local.set $u0 (v128.and (f64x2.mul (local.get $g0) (f64x2.mul (local.get $a0) (local.get $iav))) (local.get $m0)))
      (local.set $u1 (v128.and (f64x2.mul (local.get $g1) (f64x2.mul (local.get $a1) (local.get $iav))) (local.get $m1)))
      (local.set $f0 (v128.bitselect (local.get $a0) (local.get $aoe) (local.get $m0)))
      (local.set $f1 (v128.bitselect (local.get $a1) (local.get $aoe) (local.get $m1)))
      (local.set $h0 (v128.bitselect (f64x2.mul (local.get $t0) (local.get $iav)) (local.get $eoa) (local.get $m0)))
      (local.set $h1 (v128.bitselect (f64x2.mul (local.get $t1) (local.get $iav)) (local.get $eoa) (local.get $m1)))
      ;; an odd width's last pair stores one lane (the other is the next row's first column)
      (if (i32.le_u (i32.add (local.get $j) (i32.const 16)) (local.get $n))
        (then (v128.store align=8 (i32.add (local.get $P0) (local.get $j)) (local.get $p0)) (v128.store align=8 (i32.add (local.get $P1) (local.get $j)) (local.get $p1)) (v128.store align=8 (i32.add (local.get $E0) (local.get $j)) (local.get $u0)) (v128.store align=8 (i32.add (local.get $E1) (local.get $j)) (local.get $u1)) (v128.store align=8 (i32.add (local.get $F0) (local.get $j)) (local.get $f0)) (v128.store align=8 (i32.add (local.get $F1) (local.get $j)) (local.get $f1)) (v128.store align=8 (i32.add (local.get $H0) (local.get $j)) (local.get $h0)) (v128.store align=8 (i32.add (local.get $H1) (local.get $j)) (local.get $h1)))
        (else (v128.store64_lane align=8 0 (i32.add (local.get $P0) (local.get $j)) (local.get $p0)) (v128.store64_lane align=8 0 (i32.add (local.get $P1) (local.get $j)) (local.get $p1)) (v128.store64_lane align=8 0 (i32.add (local.get $E0) (local.get $j)) (local.get $u0)) (v128.store64_lane align=8 0 (i32.add (local.get $E1) (local.get $j)) (local.get $u1)) (v128.store64_lane align=8 0 (i32.add (local.get $F0) (local.get $j)) (local.get $f0)) (v128.store64_lane align=8 0 (i32.add (local.get $F1) (local.get $j)) (local.get $f1)) (v128.store64_lane align=8 0 (i32.add (local.get $H0) (local.get $j)) (local.get $h0)) (v128.store64_lane align=8 0 (i32.add (local.get $H1) (local.get $j)) (local.get $h1))))
      (local.set $j (i32.add (local.get $j) (i32.const 16)))
      (br $l)))
    (f64.store (local.get $out) (call $hsum (local.get $acc))))

  ;; Sweep 2 (Lemma 2): r_x = λx − c − s div p (Σr_x² at 272), Σ(λ/2)x² − cx at 280; with
  ;; w = s div y (= −Kᵀy): Σ(w + c)²/(2λ) at 288 and ∇g*(w) = (w + c)/λ into D.
  (func $sweepPrimal (param $x i32) (param $c i32) (param $P0 i32) (param $P1own i32) (param $P1up i32)
                     (param $y0 i32) (param $y1own i32) (param $y1up i32) (param $D i32)
                     (param $mX i32) (param $mL i32) (param $mV i32) (param $n i32) (param $s f64) (param $lambda f64) (param $out i32)
    (local $j i32) (local $sv v128) (local $lv v128) (local $hl v128) (local $il v128) (local $hil v128) (local $d v128)
    (local $xv v128) (local $cv v128) (local $rx v128) (local $e v128) (local $mv v128)
    (local $arx v128) (local $ag v128) (local $as v128)
    (local.set $sv (f64x2.splat (local.get $s)))
    (local.set $lv (f64x2.splat (local.get $lambda)))
    (local.set $hl (f64x2.splat (f64.mul (f64.const 0.5) (local.get $lambda))))
    (local.set $il (f64x2.splat (call $f (i32.const 384))))
    (local.set $hil (f64x2.splat (call $f (i32.const 392))))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $j) (local.get $n)))
      (local.set $mv (v128.load align=8 (i32.add (local.get $mV) (local.get $j))))
      (local.set $xv (v128.load align=8 (i32.add (local.get $x) (local.get $j))))
      (local.set $cv (v128.load align=8 (i32.add (local.get $c) (local.get $j))))
      (local.set $rx (f64x2.sub (f64x2.sub (f64x2.mul (local.get $lv) (local.get $xv)) (local.get $cv))
        (f64x2.mul (local.get $sv) (call $div (local.get $P0) (local.get $P1own) (local.get $P1up) (local.get $mX) (local.get $mL) (local.get $j)))))
      (local.set $arx (f64x2.add (local.get $arx) (v128.and (local.get $mv) (f64x2.mul (local.get $rx) (local.get $rx)))))
      (local.set $ag (f64x2.add (local.get $ag) (v128.and (local.get $mv)
        (f64x2.sub (f64x2.mul (f64x2.mul (local.get $hl) (local.get $xv)) (local.get $xv)) (f64x2.mul (local.get $cv) (local.get $xv))))))
      (local.set $e (f64x2.add (f64x2.mul (local.get $sv)
        (call $div (local.get $y0) (local.get $y1own) (local.get $y1up) (local.get $mX) (local.get $mL) (local.get $j))) (local.get $cv)))
      (local.set $as (f64x2.add (local.get $as) (v128.and (local.get $mv) (f64x2.mul (f64x2.mul (local.get $e) (local.get $e)) (local.get $hil)))))
      (local.set $d (f64x2.mul (local.get $e) (local.get $il)))
      ;; an odd width's last pair stores one lane (the other is the next row's first column)
      (if (i32.le_u (i32.add (local.get $j) (i32.const 16)) (local.get $n))
        (then (v128.store align=8 (i32.add (local.get $D) (local.get $j)) (local.get $d)))
        (else (v128.store64_lane align=8 0 (i32.add (local.get $D) (local.get $j)) (local.get $d))))
      (local.set $j (i32.add (local.get $j) (i32.const 16)))
      (br $l)))
    (f64.store offset=8 (local.get $out) (call $hsum (local.get $arx)))
    (f64.store offset=16 (local.get $out) (call $hsum (local.get $ag)))
    (f64.store offset=24 (local.get $out) (call $hsum (local.get $as))))

  ;; Sweep 3 (Lemma 2): s_y = κy − s∇(∇g*(w)) per group, plus l·y on the boundary band
  ;; ‖y_j‖² ≥ inner with l = max(0, −⟨s_y, y⟩/‖y_j‖²) (min-norm element of s_y + N(y)); Σ‖s_y‖² at 296,
  ;; ‖y‖² at 304, max ‖y_j‖² at 312.
  (func $sweepDual (param $y0 i32) (param $y1 i32) (param $D i32) (param $mX i32) (param $mV i32) (param $n i32) (param $dW i32)
                   (param $s f64) (param $kappa f64) (param $inner f64) (param $out i32)
    (local $j i32) (local $im v128) (local $sv v128) (local $kv v128) (local $iv v128) (local $mv v128) (local $zero v128)
    (local $a v128) (local $b v128) (local $s0 v128) (local $s1 v128) (local $n0 v128) (local $n1 v128) (local $l0 v128) (local $l1 v128)
    (local $ary v128) (local $ayy v128) (local $amax v128)
    (local.set $sv (f64x2.splat (local.get $s)))
    (local.set $kv (f64x2.splat (local.get $kappa)))
    (local.set $iv (f64x2.splat (local.get $inner)))
    (local.set $im (global.get $iso))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $j) (local.get $n)))
      (local.set $mv (v128.load align=8 (i32.add (local.get $mV) (local.get $j))))
      (local.set $a (v128.load align=8 (i32.add (local.get $y0) (local.get $j))))
      (local.set $b (v128.load align=8 (i32.add (local.get $y1) (local.get $j))))
      (local.set $s0 (f64x2.sub (f64x2.mul (local.get $kv) (local.get $a)) (call $dx (local.get $D) (local.get $mX) (local.get $j) (local.get $sv))))
      (local.set $s1 (f64x2.sub (f64x2.mul (local.get $kv) (local.get $b)) (call $dy (local.get $D) (local.get $dW) (local.get $j) (local.get $sv))))
      (local.set $n0 (call $norm0 (local.get $a) (local.get $b) (local.get $im)))
      (local.set $n1 (call $norm1 (local.get $a) (local.get $b) (local.get $im)))
      (local.set $l0 (v128.and (f64x2.ge (local.get $n0) (local.get $iv))
        (f64x2.pmax (local.get $zero) (f64x2.div (f64x2.neg (call $dot0 (local.get $s0) (local.get $s1) (local.get $a) (local.get $b) (local.get $im))) (local.get $n0)))))
      (local.set $l1 (v128.and (f64x2.ge (local.get $n1) (local.get $iv))
        (f64x2.pmax (local.get $zero) (f64x2.div (f64x2.neg (call $dot1 (local.get $s0) (local.get $s1) (local.get $a) (local.get $b) (local.get $im))) (local.get $n1)))))
      (local.set $s0 (f64x2.add (local.get $s0) (f64x2.mul (local.get $l0) (local.get $a))))
      (local.set $s1 (f64x2.add (local.get $s1) (f64x2.mul (local.get $l1) (local.get $b))))
      (local.set $ary (f64x2.add (local.get $ary) (v128.and (local.get $mv)
        (f64x2.add (f64x2.mul (local.get $s0) (local.get $s0)) (f64x2.mul (local.get $s1) (local.get $s1))))))
      (local.set $ayy (f64x2.add (local.get $ayy) (v128.and (local.get $mv)
        (f64x2.add (f64x2.mul (local.get $a) (local.get $a)) (f64x2.mul (local.get $b) (local.get $b))))))
      ;; NaN norms are ignored by pmax (it keeps the first operand unless the second is larger)
      (local.set $amax (f64x2.pmax (local.get $amax) (v128.and (local.get $mv) (local.get $n0))))
      (local.set $amax (f64x2.pmax (local.get $amax) (v128.and (local.get $mv) (local.get $n1))))
      (local.set $j (i32.add (local.get $j) (i32.const 16)))
      (br $l)))
    (f64.store offset=32 (local.get $out) (call $hsum (local.get $ary)))
    (f64.store offset=40 (local.get $out) (call $hsum (local.get $ayy)))
    (f64.store offset=48 (local.get $out) (call $hmax (local.get $amax))))

  ;; Sweep 4 (Lemma 3), with û, F's scale from sweep 1: q = F(s∇X) into (Q0, Q1);
  ;; Y_R = PY (= HFY) into (R0, R1); ‖Y − Y_R‖² at 336.
  (func $sweepAdjointGradient (param $X i32) (param $E0 i32) (param $E1 i32) (param $F0 i32) (param $F1 i32) (param $Y0 i32) (param $Y1 i32)
                              (param $Q0 i32) (param $Q1 i32) (param $R0 i32) (param $R1 i32)
                              (param $mX i32) (param $mV i32) (param $n i32) (param $dW i32) (param $s f64) (param $out i32)
    (local $j i32) (local $im v128) (local $sv v128) (local $e0 v128) (local $e1 v128)
    (local $g0 v128) (local $g1 v128) (local $d0 v128) (local $d1 v128) (local $acc v128) (local $q0 v128) (local $q1 v128)
    (local.set $sv (f64x2.splat (local.get $s)))
    (local.set $im (global.get $iso))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $j) (local.get $n)))
      (local.set $e0 (v128.load align=8 (i32.add (local.get $E0) (local.get $j))))
      (local.set $e1 (v128.load align=8 (i32.add (local.get $E1) (local.get $j))))
      ;; q = F(s∇X)
      (local.set $g0 (call $dx (local.get $X) (local.get $mX) (local.get $j) (local.get $sv)))
      (local.set $g1 (call $dy (local.get $X) (local.get $dW) (local.get $j) (local.get $sv)))
      (local.set $d0 (call $dot0 (local.get $e0) (local.get $e1) (local.get $g0) (local.get $g1) (local.get $im)))
      (local.set $d1 (call $dot1 (local.get $e0) (local.get $e1) (local.get $g0) (local.get $g1) (local.get $im)))
      (local.set $q0 (f64x2.mul (v128.load align=8 (i32.add (local.get $F0) (local.get $j)))
        (f64x2.sub (local.get $g0) (f64x2.mul (local.get $e0) (local.get $d0)))))
      (local.set $q1 (f64x2.mul (v128.load align=8 (i32.add (local.get $F1) (local.get $j)))
        (f64x2.sub (local.get $g1) (f64x2.mul (local.get $e1) (local.get $d1)))))
      ;; Y_R = PY = Y − û⟨û, Y⟩; Y − Y_R = û⟨û, Y⟩
      (local.set $g0 (v128.load align=8 (i32.add (local.get $Y0) (local.get $j))))
      (local.set $g1 (v128.load align=8 (i32.add (local.get $Y1) (local.get $j))))
      (local.set $d0 (f64x2.mul (local.get $e0) (call $dot0 (local.get $e0) (local.get $e1) (local.get $g0) (local.get $g1) (local.get $im))))
      (local.set $d1 (f64x2.mul (local.get $e1) (call $dot1 (local.get $e0) (local.get $e1) (local.get $g0) (local.get $g1) (local.get $im))))
      (local.set $g0 (f64x2.sub (local.get $g0) (local.get $d0)))
      (local.set $g1 (f64x2.sub (local.get $g1) (local.get $d1)))
      ;; an odd width's last pair stores one lane (the other is the next row's first column)
      (if (i32.le_u (i32.add (local.get $j) (i32.const 16)) (local.get $n))
        (then (v128.store align=8 (i32.add (local.get $Q0) (local.get $j)) (local.get $q0)) (v128.store align=8 (i32.add (local.get $Q1) (local.get $j)) (local.get $q1)) (v128.store align=8 (i32.add (local.get $R0) (local.get $j)) (local.get $g0)) (v128.store align=8 (i32.add (local.get $R1) (local.get $j)) (local.get $g1)))
        (else (v128.store64_lane align=8 0 (i32.add (local.get $Q0) (local.get $j)) (local.get $q0)) (v128.store64_lane align=8 0 (i32.add (local.get $Q1) (local.get $j)) (local.get $q1)) (v128.store64_lane align=8 0 (i32.add (local.get $R0) (local.get $j)) (local.get $g0)) (v128.store64_lane align=8 0 (i32.add (local.get $R1) (local.get $j)) (local.get $g1))))
      (local.set $acc (f64x2.add (local.get $acc) (v128.and (v128.load align=8 (i32.add (local.get $mV) (local.get $j)))
        (f64x2.add (f64x2.mul (local.get $d0) (local.get $d0)) (f64x2.mul (local.get $d1) (local.get $d1))))))
      (local.set $j (i32.add (local.get $j) (i32.const 16)))
      (br $l)))
    (f64.store offset=72 (local.get $out) (call $hsum (local.get $acc))))

  ;; Sweep 5 (Lemma 3): e_X = λX − s div q + c_ℓ(x − t) (Σe_X² at 320); D = (−s div Y_R + c_ℓ(x − t))/λ.
  (func $sweepAdjointPrimal (param $X i32) (param $x i32) (param $t i32) (param $Q0 i32) (param $Q1own i32) (param $Q1up i32)
                            (param $R0 i32) (param $R1own i32) (param $R1up i32) (param $D i32)
                            (param $mX i32) (param $mL i32) (param $mV i32) (param $n i32) (param $s f64) (param $lambda f64) (param $cl f64) (param $out i32)
    (local $j i32) (local $sv v128) (local $lv v128) (local $il v128) (local $cv v128) (local $gl v128) (local $e v128) (local $acc v128) (local $d v128)
    (local.set $sv (f64x2.splat (local.get $s)))
    (local.set $lv (f64x2.splat (local.get $lambda)))
    (local.set $il (f64x2.splat (call $f (i32.const 384))))
    (local.set $cv (f64x2.splat (local.get $cl)))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $j) (local.get $n)))
      (local.set $gl (f64x2.mul (local.get $cv)
        (f64x2.sub (v128.load align=8 (i32.add (local.get $x) (local.get $j))) (v128.load align=8 (i32.add (local.get $t) (local.get $j))))))
      (local.set $e (f64x2.add (f64x2.sub (f64x2.mul (local.get $lv) (v128.load align=8 (i32.add (local.get $X) (local.get $j))))
        (f64x2.mul (local.get $sv) (call $div (local.get $Q0) (local.get $Q1own) (local.get $Q1up) (local.get $mX) (local.get $mL) (local.get $j))))
        (local.get $gl)))
      (local.set $acc (f64x2.add (local.get $acc) (v128.and (v128.load align=8 (i32.add (local.get $mV) (local.get $j)))
        (f64x2.mul (local.get $e) (local.get $e)))))
      (local.set $d (f64x2.mul (local.get $il)
        (f64x2.sub (local.get $gl)
          (f64x2.mul (local.get $sv) (call $div (local.get $R0) (local.get $R1own) (local.get $R1up) (local.get $mX) (local.get $mL) (local.get $j))))))
      ;; an odd width's last pair stores one lane (the other is the next row's first column)
      (if (i32.le_u (i32.add (local.get $j) (i32.const 16)) (local.get $n))
        (then (v128.store align=8 (i32.add (local.get $D) (local.get $j)) (local.get $d)))
        (else (v128.store64_lane align=8 0 (i32.add (local.get $D) (local.get $j)) (local.get $d))))
      (local.set $j (i32.add (local.get $j) (i32.const 16)))
      (br $l)))
    (f64.store offset=56 (local.get $out) (call $hsum (local.get $acc))))

  ;; Sweep 6 (Lemma 3), with û, H's scale from sweep 1: r = s∇D + H·Y_R, then H(F r) = P r;
  ;; Σ‖·‖² at 328. Y_R is projected already, so H·Y_R is its scale times Y_R.
  (func $sweepAdjointDual (param $D i32) (param $E0 i32) (param $E1 i32) (param $H0 i32) (param $H1 i32) (param $R0 i32) (param $R1 i32)
                          (param $mX i32) (param $mV i32) (param $n i32) (param $dW i32) (param $s f64) (param $out i32)
    (local $j i32) (local $im v128) (local $sv v128) (local $e0 v128) (local $e1 v128)
    (local $g0 v128) (local $g1 v128) (local $d0 v128) (local $d1 v128) (local $acc v128)
    (local.set $sv (f64x2.splat (local.get $s)))
    (local.set $im (global.get $iso))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $j) (local.get $n)))
      (local.set $e0 (v128.load align=8 (i32.add (local.get $E0) (local.get $j))))
      (local.set $e1 (v128.load align=8 (i32.add (local.get $E1) (local.get $j))))
      (local.set $g0 (f64x2.add (call $dx (local.get $D) (local.get $mX) (local.get $j) (local.get $sv))
        (f64x2.mul (v128.load align=8 (i32.add (local.get $H0) (local.get $j))) (v128.load align=8 (i32.add (local.get $R0) (local.get $j))))))
      (local.set $g1 (f64x2.add (call $dy (local.get $D) (local.get $dW) (local.get $j) (local.get $sv))
        (f64x2.mul (v128.load align=8 (i32.add (local.get $H1) (local.get $j))) (v128.load align=8 (i32.add (local.get $R1) (local.get $j))))))
      (local.set $d0 (call $dot0 (local.get $e0) (local.get $e1) (local.get $g0) (local.get $g1) (local.get $im)))
      (local.set $d1 (call $dot1 (local.get $e0) (local.get $e1) (local.get $g0) (local.get $g1) (local.get $im)))
      (local.set $g0 (f64x2.sub (local.get $g0) (f64x2.mul (local.get $e0) (local.get $d0))))
      (local.set $g1 (f64x2.sub (local.get $g1) (f64x2.mul (local.get $e1) (local.get $d1))))
      (local.set $acc (f64x2.add (local.get $acc) (v128.and (v128.load align=8 (i32.add (local.get $mV) (local.get $j)))
        (f64x2.add (f64x2.mul (local.get $g0) (local.get $g0)) (f64x2.mul (local.get $g1) (local.get $g1))))))
      (local.set $j (i32.add (local.get $j) (i32.const 16)))
      (br $l)))
    (f64.store offset=64 (local.get $out) (call $hsum (local.get $acc))))

  ;; Pass `pass` (1–3: Lemma 2 at (x, y); 4–6: Lemma 3 at the pair) of the certificate on band b's
  ;; rows, each row's sums into its row certificate. Rows of the stencil partners follow the
  ;; step's conventions (the zero row for the dropped Neumann terms, dW = 0 on a channel's last
  ;; row). A pass reads what the previous passes wrote on the rows next to the band, so all bands
  ;; finish a pass before any starts the next.
  (func $certBand (export "certBand") (param $pass i32) (param $b i32)
    (local $H i32) (local $n i32) (local $o i32) (local $i i32) (local $r i32) (local $r1 i32) (local $band i32) (local $out i32)
    (local $x i32) (local $y0 i32) (local $y1 i32) (local $c i32) (local $X i32) (local $Y0 i32) (local $Y1 i32) (local $t i32)
    (local $zero i32) (local $mX i32) (local $mL i32) (local $mV i32)
    (local $E0 i32) (local $E1 i32) (local $Q0 i32) (local $Q1 i32) (local $R0 i32) (local $R1 i32) (local $D i32)
    (local $F0 i32) (local $F1 i32) (local $H0 i32) (local $H1 i32)
    (local $s f64) (local $lambda f64) (local $alpha f64) (local $eps f64) (local $cl f64) (local $kappa f64) (local $inner f64)
    (local $dW i32) (local $own i32) (local $up i32)
    (local.set $H (call $p (i32.const 4)))
    (local.set $x (call $p (i32.const 16))) (local.set $y0 (call $p (i32.const 24))) (local.set $y1 (call $p (i32.const 28)))
    (local.set $c (call $p (i32.const 32))) (local.set $X (call $p (i32.const 36)))
    (local.set $Y0 (call $p (i32.const 44))) (local.set $Y1 (call $p (i32.const 48))) (local.set $t (call $p (i32.const 52)))
    (local.set $zero (call $p (i32.const 60)))
    (local.set $mX (call $p (i32.const 64))) (local.set $mL (call $p (i32.const 68))) (local.set $mV (call $p (i32.const 72)))
    (local.set $E0 (call $p (i32.const 76))) (local.set $E1 (call $p (i32.const 80)))
    (local.set $Q0 (call $p (i32.const 84))) (local.set $Q1 (call $p (i32.const 88)))
    (local.set $R0 (call $p (i32.const 92))) (local.set $R1 (call $p (i32.const 96))) (local.set $D (call $p (i32.const 100)))
    (local.set $F0 (call $p (i32.const 108))) (local.set $F1 (call $p (i32.const 112)))
    (local.set $H0 (call $p (i32.const 116))) (local.set $H1 (call $p (i32.const 120)))
    (local.set $s (call $f (i32.const 192))) (local.set $lambda (call $f (i32.const 200))) (local.set $eps (call $f (i32.const 208)))
    (local.set $cl (call $f (i32.const 216))) (local.set $kappa (call $f (i32.const 224))) (local.set $inner (call $f (i32.const 232)))
    (local.set $alpha (call $f (i32.const 144)))
    (global.set $iso (v128.load (i32.const 240)))
    (local.set $n (i32.shl (call $p (i32.const 8)) (i32.const 3)))
    (local.set $band (i32.add (call $p (i32.const 400)) (i32.shl (local.get $b) (i32.const 2))))
    (local.set $r (i32.load (local.get $band)))
    (local.set $r1 (i32.load offset=4 (local.get $band)))
    (block $rdone (loop $rloop
      (br_if $rdone (i32.ge_u (local.get $r) (local.get $r1)))
      (local.set $i (i32.rem_u (local.get $r) (local.get $H)))
      (local.set $o (i32.mul (local.get $r) (local.get $n)))
      (local.set $out (i32.add (call $p (i32.const 404)) (i32.mul (local.get $r) (i32.const 80))))
      (local.set $dW (select (local.get $n) (i32.const 0) (i32.lt_u (i32.add (local.get $i) (i32.const 1)) (local.get $H))))
      (local.set $own (select (i32.const 0) (i32.const -1) (i32.lt_u (i32.add (local.get $i) (i32.const 1)) (local.get $H))))
      (local.set $up (i32.gt_u (local.get $i) (i32.const 0)))
      (if (i32.eq (local.get $pass) (i32.const 1)) (then
        (call $sweepGradient (i32.add (local.get $x) (local.get $o)) (i32.add (local.get $E0) (local.get $o)) (i32.add (local.get $E1) (local.get $o))
          (i32.add (local.get $Q0) (local.get $o)) (i32.add (local.get $Q1) (local.get $o))
          (i32.add (local.get $F0) (local.get $o)) (i32.add (local.get $F1) (local.get $o))
          (i32.add (local.get $H0) (local.get $o)) (i32.add (local.get $H1) (local.get $o))
          (local.get $mX) (local.get $mV) (local.get $n) (local.get $dW) (local.get $s) (local.get $alpha) (local.get $eps) (local.get $out))))
      (if (i32.eq (local.get $pass) (i32.const 2)) (then
        (call $sweepPrimal (i32.add (local.get $x) (local.get $o)) (i32.add (local.get $c) (local.get $o))
          (i32.add (local.get $Q0) (local.get $o))
          (select (local.get $zero) (i32.add (local.get $Q1) (local.get $o)) (local.get $own))
          (select (i32.sub (i32.add (local.get $Q1) (local.get $o)) (local.get $n)) (local.get $zero) (local.get $up))
          (i32.add (local.get $y0) (local.get $o))
          (select (local.get $zero) (i32.add (local.get $y1) (local.get $o)) (local.get $own))
          (select (i32.sub (i32.add (local.get $y1) (local.get $o)) (local.get $n)) (local.get $zero) (local.get $up))
          (i32.add (local.get $D) (local.get $o))
          (local.get $mX) (local.get $mL) (local.get $mV) (local.get $n) (local.get $s) (local.get $lambda) (local.get $out))))
      (if (i32.eq (local.get $pass) (i32.const 3)) (then
        (call $sweepDual (i32.add (local.get $y0) (local.get $o)) (i32.add (local.get $y1) (local.get $o)) (i32.add (local.get $D) (local.get $o))
          (local.get $mX) (local.get $mV) (local.get $n) (local.get $dW) (local.get $s) (local.get $kappa) (local.get $inner) (local.get $out))))
      (if (i32.eq (local.get $pass) (i32.const 4)) (then
        (call $sweepAdjointGradient (i32.add (local.get $X) (local.get $o))
          (i32.add (local.get $E0) (local.get $o)) (i32.add (local.get $E1) (local.get $o))
          (i32.add (local.get $F0) (local.get $o)) (i32.add (local.get $F1) (local.get $o))
          (i32.add (local.get $Y0) (local.get $o)) (i32.add (local.get $Y1) (local.get $o))
          (i32.add (local.get $Q0) (local.get $o)) (i32.add (local.get $Q1) (local.get $o))
          (i32.add (local.get $R0) (local.get $o)) (i32.add (local.get $R1) (local.get $o))
          (local.get $mX) (local.get $mV) (local.get $n) (local.get $dW) (local.get $s) (local.get $out))))
      (if (i32.eq (local.get $pass) (i32.const 5)) (then
        (call $sweepAdjointPrimal (i32.add (local.get $X) (local.get $o)) (i32.add (local.get $x) (local.get $o)) (i32.add (local.get $t) (local.get $o))
          (i32.add (local.get $Q0) (local.get $o))
          (select (local.get $zero) (i32.add (local.get $Q1) (local.get $o)) (local.get $own))
          (select (i32.sub (i32.add (local.get $Q1) (local.get $o)) (local.get $n)) (local.get $zero) (local.get $up))
          (i32.add (local.get $R0) (local.get $o))
          (select (local.get $zero) (i32.add (local.get $R1) (local.get $o)) (local.get $own))
          (select (i32.sub (i32.add (local.get $R1) (local.get $o)) (local.get $n)) (local.get $zero) (local.get $up))
          (i32.add (local.get $D) (local.get $o))
          (local.get $mX) (local.get $mL) (local.get $mV) (local.get $n) (local.get $s) (local.get $lambda) (local.get $cl) (local.get $out))))
      (if (i32.eq (local.get $pass) (i32.const 6)) (then
        (call $sweepAdjointDual (i32.add (local.get $D) (local.get $o))
          (i32.add (local.get $E0) (local.get $o)) (i32.add (local.get $E1) (local.get $o))
          (i32.add (local.get $H0) (local.get $o)) (i32.add (local.get $H1) (local.get $o))
          (i32.add (local.get $R0) (local.get $o)) (i32.add (local.get $R1) (local.get $o))
          (local.get $mX) (local.get $mV) (local.get $n) (local.get $dW) (local.get $s) (local.get $out))))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rloop))))

  ;; The certificate results at 264…336: each row certificate entry added in row order (312: the
  ;; maximum), starting from 0; the Lemma 3 entries (320…336) only with the adjoint, else 0.
  (func $certSums (export "certSums") (param $adjoint i32)
    (local $k i32) (local $r i32) (local $R i32) (local $at i32) (local $acc f64)
    (local.set $R (i32.mul (call $p (i32.const 0)) (call $p (i32.const 4))))
    (block $kdone (loop $kloop
      (br_if $kdone (i32.ge_u (local.get $k) (i32.const 10)))
      (local.set $acc (f64.const 0))
      (if (i32.or (local.get $adjoint) (i32.lt_u (local.get $k) (i32.const 7))) (then
        (local.set $at (i32.add (call $p (i32.const 404)) (i32.shl (local.get $k) (i32.const 3))))
        (local.set $r (i32.const 0))
        (block $rdone (loop $rloop
          (br_if $rdone (i32.ge_u (local.get $r) (local.get $R)))
          (local.set $acc (if (result f64) (i32.eq (local.get $k) (i32.const 6))
            (then (f64.max (local.get $acc) (f64.load (local.get $at))))
            (else (f64.add (local.get $acc) (f64.load (local.get $at))))))
          (local.set $at (i32.add (local.get $at) (i32.const 80)))
          (local.set $r (i32.add (local.get $r) (i32.const 1)))
          (br $rloop)))))
      (f64.store (i32.add (i32.const 264) (i32.shl (local.get $k) (i32.const 3))) (local.get $acc))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br $kloop))))

  ;; The certificate sums of (x, y) (passes 1–3) and, with adjoint = 1, of (X, Y) at the pair
  ;; (passes 4–6) on this thread: each pass on every band, then `certSums`.
  (func (export "certificate") (param $adjoint i32)
    (local $pass i32) (local $b i32) (local $P i32)
    (local.set $P (call $p (i32.const 408)))
    (local.set $pass (i32.const 1))
    (block $pdone (loop $ploop
      (br_if $pdone (i32.gt_u (local.get $pass) (select (i32.const 6) (i32.const 3) (local.get $adjoint))))
      (local.set $b (i32.const 0))
      (block $bdone (loop $bloop
        (br_if $bdone (i32.ge_u (local.get $b) (local.get $P)))
        (call $certBand (local.get $pass) (local.get $b))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (br $bloop)))
      (local.set $pass (i32.add (local.get $pass) (i32.const 1)))
      (br $ploop)))
    (call $certSums (local.get $adjoint))))
