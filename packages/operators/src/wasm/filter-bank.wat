;; Filter-bank kernels (float64, WebAssembly SIMD f64x2) behind `ConvFilterBank`
;; (`filter-bank-kernel.ts` is the host side). Every convolution is a multi-channel "valid"
;; correlation of already extended (padded) images, so the boundary rule never reaches a loop
;; here: the host extends the input (apply, paramVjp) or zero-pads y (adjoint) first.
;;
;;   correlate: dst[j, y, x] = Σ_i Σ_{a<kh, b<kw} w[j, i, a, b]·src[i, y + a, x + b]
;;              (apply: src = E x, w = k; adjoint: src = y between kh−1 / kw−1 zeros,
;;              w[i, o] = k[o, i] rotated by 180°, dst = the padded grid that Eᵀ folds);
;;              weights are stored with a zero row above and below each kernel, kh + 2 rows
;;   gradient:  g[j, i, a, b] = Σ_{y, x} v[j, y, x]·src[i, y + a, x + b]   (v = y, src = E x)
;;   copy:      blocks of planes copied between planes of other sizes (a plane into the interior
;;              of a larger one with zero margins, the boundary extension's interior, and back)
;;
;; Addresses and strides are in bytes; planes are dense row-major. The pixels of a row are
;; processed two per f64x2 lane pair; the inner loops run over the taps (i, a, b) of a block of
;; pixels with its accumulators in registers and store each output once. Blocks compute two
;; outputs per source load: two filters j, j + 1 at one row, or, for a lone filter, two rows
;; y, y + 1 (source row y + s meets kernel row s for row y and s − 1 for row y + 1: kh + 1
;; source rows against the zero-bordered kernel, whose zero rows stand for the missing terms; the
;; blocks of 8 pixels skip those terms, $rowPair4). A block that ends
;; in the middle of a lane pair ("half") computes the pair and stores one lane, so loads may
;; read one double past a row (the host keeps guard bytes after the last array).
(module
  (import "env" "memory" (memory 1))

  ;; Sum of the two lanes.
  (func $hsum (param $v v128) (result f64)
    (f64.add (f64x2.extract_lane 0 (local.get $v)) (f64x2.extract_lane 1 (local.get $v))))

  ;; g[p] += Σ lanes of v.
  (func $addTo (param $p i32) (param $v v128)
    (f64.store (local.get $p) (f64.add (f64.load (local.get $p)) (call $hsum (local.get $v)))))

  ;; ------------------------------------------------------------------------------------------
  ;; correlate blocks. Common parameters: $sp = src[0, y, x]; $wp = the weight of the first tap
  ;; of the first output; $ws = bytes from it to the weight of the same tap of the second output
  ;; (the next filter, or the kernel row above for the next row); $d0/$d1 = the two outputs;
  ;; $cin; $kh source rows per input plane; $kw; $rowSkip = (pw − kw)·8 from the end of a kernel
  ;; row to the next source row; $planeSkip from the end of a plane's rows to the next plane;
  ;; $wSkip = bytes from the end of a channel's weight rows to the next channel's first.

  ;; Two outputs, 8 pixels.
  (func $pair4 (param $sp i32) (param $wp i32) (param $ws i32) (param $d0 i32) (param $d1 i32)
               (param $cin i32) (param $kh i32) (param $kw i32) (param $rowSkip i32) (param $planeSkip i32) (param $wSkip i32)
    (local $i i32) (local $a i32) (local $b i32)
    (local $w0 v128) (local $w1 v128) (local $s v128)
    (local $p0 v128) (local $p1 v128) (local $p2 v128) (local $p3 v128)
    (local $q0 v128) (local $q1 v128) (local $q2 v128) (local $q3 v128)
    (local.set $i (local.get $cin))
    (loop $li
      (local.set $a (local.get $kh))
      (loop $la
        (local.set $b (local.get $kw))
        (loop $lb
          (local.set $w0 (v128.load64_splat align=8 (local.get $wp)))
          (local.set $w1 (v128.load64_splat align=8 (i32.add (local.get $wp) (local.get $ws))))
          (local.set $s (v128.load align=8 (local.get $sp)))
          (local.set $p0 (f64x2.add (local.get $p0) (f64x2.mul (local.get $s) (local.get $w0))))
          (local.set $q0 (f64x2.add (local.get $q0) (f64x2.mul (local.get $s) (local.get $w1))))
          (local.set $s (v128.load offset=16 align=8 (local.get $sp)))
          (local.set $p1 (f64x2.add (local.get $p1) (f64x2.mul (local.get $s) (local.get $w0))))
          (local.set $q1 (f64x2.add (local.get $q1) (f64x2.mul (local.get $s) (local.get $w1))))
          (local.set $s (v128.load offset=32 align=8 (local.get $sp)))
          (local.set $p2 (f64x2.add (local.get $p2) (f64x2.mul (local.get $s) (local.get $w0))))
          (local.set $q2 (f64x2.add (local.get $q2) (f64x2.mul (local.get $s) (local.get $w1))))
          (local.set $s (v128.load offset=48 align=8 (local.get $sp)))
          (local.set $p3 (f64x2.add (local.get $p3) (f64x2.mul (local.get $s) (local.get $w0))))
          (local.set $q3 (f64x2.add (local.get $q3) (f64x2.mul (local.get $s) (local.get $w1))))
          (local.set $wp (i32.add (local.get $wp) (i32.const 8)))
          (local.set $sp (i32.add (local.get $sp) (i32.const 8)))
          (br_if $lb (local.tee $b (i32.sub (local.get $b) (i32.const 1)))))
        (local.set $sp (i32.add (local.get $sp) (local.get $rowSkip)))
        (br_if $la (local.tee $a (i32.sub (local.get $a) (i32.const 1)))))
      (local.set $sp (i32.add (local.get $sp) (local.get $planeSkip)))
      (local.set $wp (i32.add (local.get $wp) (local.get $wSkip)))
      (br_if $li (local.tee $i (i32.sub (local.get $i) (i32.const 1)))))
    (v128.store align=8 (local.get $d0) (local.get $p0))
    (v128.store offset=16 align=8 (local.get $d0) (local.get $p1))
    (v128.store offset=32 align=8 (local.get $d0) (local.get $p2))
    (v128.store offset=48 align=8 (local.get $d0) (local.get $p3))
    (v128.store align=8 (local.get $d1) (local.get $q0))
    (v128.store offset=16 align=8 (local.get $d1) (local.get $q1))
    (v128.store offset=32 align=8 (local.get $d1) (local.get $q2))
    (v128.store offset=48 align=8 (local.get $d1) (local.get $q3)))

  ;; $pair4 for two rows y, y + 1 of one filter (kh + 1 source rows): $head says that the first
  ;; source row meets the zero kernel row for row y + 1, $tail that the last meets it for row y;
  ;; those rows go to one output only. It skips only terms s·0, which leave the sums unchanged
  ;; (they start at +0 and never become −0), so the result is $pair4's bit for bit, with 1/(kh + 1)
  ;; fewer multiply-adds. (Separate from $pair4: the extra parameters slow the filter pairs.)
  (func $rowPair4 (param $sp i32) (param $wp i32) (param $ws i32) (param $d0 i32) (param $d1 i32)
               (param $cin i32) (param $kh i32) (param $kw i32) (param $rowSkip i32) (param $planeSkip i32) (param $wSkip i32)
               (param $head i32) (param $tail i32)
    (local $i i32) (local $a i32) (local $b i32) (local $mid i32)
    (local $w0 v128) (local $w1 v128) (local $s v128)
    (local $p0 v128) (local $p1 v128) (local $p2 v128) (local $p3 v128)
    (local $q0 v128) (local $q1 v128) (local $q2 v128) (local $q3 v128)
    (local.set $mid (i32.sub (i32.sub (local.get $kh) (local.get $head)) (local.get $tail)))
    (local.set $i (local.get $cin))
    (loop $li
      (if (local.get $head)
        (then
          (local.set $b (local.get $kw))
          (loop $hb
            (local.set $w0 (v128.load64_splat align=8 (local.get $wp)))
            (local.set $p0 (f64x2.add (local.get $p0) (f64x2.mul (v128.load align=8 (local.get $sp)) (local.get $w0))))
            (local.set $p1 (f64x2.add (local.get $p1) (f64x2.mul (v128.load offset=16 align=8 (local.get $sp)) (local.get $w0))))
            (local.set $p2 (f64x2.add (local.get $p2) (f64x2.mul (v128.load offset=32 align=8 (local.get $sp)) (local.get $w0))))
            (local.set $p3 (f64x2.add (local.get $p3) (f64x2.mul (v128.load offset=48 align=8 (local.get $sp)) (local.get $w0))))
            (local.set $wp (i32.add (local.get $wp) (i32.const 8)))
            (local.set $sp (i32.add (local.get $sp) (i32.const 8)))
            (br_if $hb (local.tee $b (i32.sub (local.get $b) (i32.const 1)))))
          (local.set $sp (i32.add (local.get $sp) (local.get $rowSkip)))))
      (local.set $a (local.get $mid))
      (if (local.get $a) (then
      (loop $la
        (local.set $b (local.get $kw))
        (loop $lb
          (local.set $w0 (v128.load64_splat align=8 (local.get $wp)))
          (local.set $w1 (v128.load64_splat align=8 (i32.add (local.get $wp) (local.get $ws))))
          (local.set $s (v128.load align=8 (local.get $sp)))
          (local.set $p0 (f64x2.add (local.get $p0) (f64x2.mul (local.get $s) (local.get $w0))))
          (local.set $q0 (f64x2.add (local.get $q0) (f64x2.mul (local.get $s) (local.get $w1))))
          (local.set $s (v128.load offset=16 align=8 (local.get $sp)))
          (local.set $p1 (f64x2.add (local.get $p1) (f64x2.mul (local.get $s) (local.get $w0))))
          (local.set $q1 (f64x2.add (local.get $q1) (f64x2.mul (local.get $s) (local.get $w1))))
          (local.set $s (v128.load offset=32 align=8 (local.get $sp)))
          (local.set $p2 (f64x2.add (local.get $p2) (f64x2.mul (local.get $s) (local.get $w0))))
          (local.set $q2 (f64x2.add (local.get $q2) (f64x2.mul (local.get $s) (local.get $w1))))
          (local.set $s (v128.load offset=48 align=8 (local.get $sp)))
          (local.set $p3 (f64x2.add (local.get $p3) (f64x2.mul (local.get $s) (local.get $w0))))
          (local.set $q3 (f64x2.add (local.get $q3) (f64x2.mul (local.get $s) (local.get $w1))))
          (local.set $wp (i32.add (local.get $wp) (i32.const 8)))
          (local.set $sp (i32.add (local.get $sp) (i32.const 8)))
          (br_if $lb (local.tee $b (i32.sub (local.get $b) (i32.const 1)))))
        (local.set $sp (i32.add (local.get $sp) (local.get $rowSkip)))
        (br_if $la (local.tee $a (i32.sub (local.get $a) (i32.const 1)))))))
      (if (local.get $tail)
        (then
          (local.set $b (local.get $kw))
          (loop $tb
            (local.set $w1 (v128.load64_splat align=8 (i32.add (local.get $wp) (local.get $ws))))
            (local.set $q0 (f64x2.add (local.get $q0) (f64x2.mul (v128.load align=8 (local.get $sp)) (local.get $w1))))
            (local.set $q1 (f64x2.add (local.get $q1) (f64x2.mul (v128.load offset=16 align=8 (local.get $sp)) (local.get $w1))))
            (local.set $q2 (f64x2.add (local.get $q2) (f64x2.mul (v128.load offset=32 align=8 (local.get $sp)) (local.get $w1))))
            (local.set $q3 (f64x2.add (local.get $q3) (f64x2.mul (v128.load offset=48 align=8 (local.get $sp)) (local.get $w1))))
            (local.set $wp (i32.add (local.get $wp) (i32.const 8)))
            (local.set $sp (i32.add (local.get $sp) (i32.const 8)))
            (br_if $tb (local.tee $b (i32.sub (local.get $b) (i32.const 1)))))
          (local.set $sp (i32.add (local.get $sp) (local.get $rowSkip)))))
      (local.set $sp (i32.add (local.get $sp) (local.get $planeSkip)))
      (local.set $wp (i32.add (local.get $wp) (local.get $wSkip)))
      (br_if $li (local.tee $i (i32.sub (local.get $i) (i32.const 1)))))
    (v128.store align=8 (local.get $d0) (local.get $p0))
    (v128.store offset=16 align=8 (local.get $d0) (local.get $p1))
    (v128.store offset=32 align=8 (local.get $d0) (local.get $p2))
    (v128.store offset=48 align=8 (local.get $d0) (local.get $p3))
    (v128.store align=8 (local.get $d1) (local.get $q0))
    (v128.store offset=16 align=8 (local.get $d1) (local.get $q1))
    (v128.store offset=32 align=8 (local.get $d1) (local.get $q2))
    (v128.store offset=48 align=8 (local.get $d1) (local.get $q3)))

  ;; Two outputs, 4 pixels. $kw taps of each kernel row ($wRowSkip bytes to the next row: a block
  ;; at the right end of a row skips the taps that read only zero columns).
  (func $pair2 (param $sp i32) (param $wp i32) (param $ws i32) (param $d0 i32) (param $d1 i32)
               (param $cin i32) (param $kh i32) (param $kw i32) (param $rowSkip i32) (param $planeSkip i32) (param $wSkip i32)
               (param $wRowSkip i32)
    (local $i i32) (local $a i32) (local $b i32)
    (local $w0 v128) (local $w1 v128) (local $s v128)
    (local $p0 v128) (local $p1 v128) (local $q0 v128) (local $q1 v128)
    (local.set $i (local.get $cin))
    (loop $li
      (local.set $a (local.get $kh))
      (loop $la
        (local.set $b (local.get $kw))
        (loop $lb
          (local.set $w0 (v128.load64_splat align=8 (local.get $wp)))
          (local.set $w1 (v128.load64_splat align=8 (i32.add (local.get $wp) (local.get $ws))))
          (local.set $s (v128.load align=8 (local.get $sp)))
          (local.set $p0 (f64x2.add (local.get $p0) (f64x2.mul (local.get $s) (local.get $w0))))
          (local.set $q0 (f64x2.add (local.get $q0) (f64x2.mul (local.get $s) (local.get $w1))))
          (local.set $s (v128.load offset=16 align=8 (local.get $sp)))
          (local.set $p1 (f64x2.add (local.get $p1) (f64x2.mul (local.get $s) (local.get $w0))))
          (local.set $q1 (f64x2.add (local.get $q1) (f64x2.mul (local.get $s) (local.get $w1))))
          (local.set $wp (i32.add (local.get $wp) (i32.const 8)))
          (local.set $sp (i32.add (local.get $sp) (i32.const 8)))
          (br_if $lb (local.tee $b (i32.sub (local.get $b) (i32.const 1)))))
        (local.set $sp (i32.add (local.get $sp) (local.get $rowSkip)))
        (local.set $wp (i32.add (local.get $wp) (local.get $wRowSkip)))
        (br_if $la (local.tee $a (i32.sub (local.get $a) (i32.const 1)))))
      (local.set $sp (i32.add (local.get $sp) (local.get $planeSkip)))
      (local.set $wp (i32.add (local.get $wp) (local.get $wSkip)))
      (br_if $li (local.tee $i (i32.sub (local.get $i) (i32.const 1)))))
    (v128.store align=8 (local.get $d0) (local.get $p0))
    (v128.store offset=16 align=8 (local.get $d0) (local.get $p1))
    (v128.store align=8 (local.get $d1) (local.get $q0))
    (v128.store offset=16 align=8 (local.get $d1) (local.get $q1)))

  ;; Two outputs, 2 pixels (1 if $half); taps as $pair2.
  (func $pair1 (param $sp i32) (param $wp i32) (param $ws i32) (param $d0 i32) (param $d1 i32)
               (param $cin i32) (param $kh i32) (param $kw i32) (param $rowSkip i32) (param $planeSkip i32) (param $wSkip i32)
               (param $wRowSkip i32)
               (param $half i32)
    (local $i i32) (local $a i32) (local $b i32) (local $s v128) (local $p0 v128) (local $q0 v128)
    (local.set $i (local.get $cin))
    (loop $li
      (local.set $a (local.get $kh))
      (loop $la
        (local.set $b (local.get $kw))
        (loop $lb
          (local.set $s (v128.load align=8 (local.get $sp)))
          (local.set $p0 (f64x2.add (local.get $p0) (f64x2.mul (local.get $s) (v128.load64_splat align=8 (local.get $wp)))))
          (local.set $q0 (f64x2.add (local.get $q0)
            (f64x2.mul (local.get $s) (v128.load64_splat align=8 (i32.add (local.get $wp) (local.get $ws))))))
          (local.set $wp (i32.add (local.get $wp) (i32.const 8)))
          (local.set $sp (i32.add (local.get $sp) (i32.const 8)))
          (br_if $lb (local.tee $b (i32.sub (local.get $b) (i32.const 1)))))
        (local.set $sp (i32.add (local.get $sp) (local.get $rowSkip)))
        (local.set $wp (i32.add (local.get $wp) (local.get $wRowSkip)))
        (br_if $la (local.tee $a (i32.sub (local.get $a) (i32.const 1)))))
      (local.set $sp (i32.add (local.get $sp) (local.get $planeSkip)))
      (local.set $wp (i32.add (local.get $wp) (local.get $wSkip)))
      (br_if $li (local.tee $i (i32.sub (local.get $i) (i32.const 1)))))
    (if (local.get $half)
      (then
        (v128.store64_lane align=8 0 (local.get $d0) (local.get $p0))
        (v128.store64_lane align=8 0 (local.get $d1) (local.get $q0)))
      (else
        (v128.store align=8 (local.get $d0) (local.get $p0))
        (v128.store align=8 (local.get $d1) (local.get $q0)))))

  ;; One filter, 16 pixels.
  (func $single8 (param $sp i32) (param $wp i32) (param $d0 i32)
                 (param $cin i32) (param $kh i32) (param $kw i32) (param $rowSkip i32) (param $planeSkip i32) (param $wSkip i32)
    (local $i i32) (local $a i32) (local $b i32) (local $w v128)
    (local $p0 v128) (local $p1 v128) (local $p2 v128) (local $p3 v128)
    (local $p4 v128) (local $p5 v128) (local $p6 v128) (local $p7 v128)
    (local.set $i (local.get $cin))
    (loop $li
      (local.set $a (local.get $kh))
      (loop $la
        (local.set $b (local.get $kw))
        (loop $lb
          (local.set $w (v128.load64_splat align=8 (local.get $wp)))
          (local.set $p0 (f64x2.add (local.get $p0) (f64x2.mul (v128.load align=8 (local.get $sp)) (local.get $w))))
          (local.set $p1 (f64x2.add (local.get $p1) (f64x2.mul (v128.load offset=16 align=8 (local.get $sp)) (local.get $w))))
          (local.set $p2 (f64x2.add (local.get $p2) (f64x2.mul (v128.load offset=32 align=8 (local.get $sp)) (local.get $w))))
          (local.set $p3 (f64x2.add (local.get $p3) (f64x2.mul (v128.load offset=48 align=8 (local.get $sp)) (local.get $w))))
          (local.set $p4 (f64x2.add (local.get $p4) (f64x2.mul (v128.load offset=64 align=8 (local.get $sp)) (local.get $w))))
          (local.set $p5 (f64x2.add (local.get $p5) (f64x2.mul (v128.load offset=80 align=8 (local.get $sp)) (local.get $w))))
          (local.set $p6 (f64x2.add (local.get $p6) (f64x2.mul (v128.load offset=96 align=8 (local.get $sp)) (local.get $w))))
          (local.set $p7 (f64x2.add (local.get $p7) (f64x2.mul (v128.load offset=112 align=8 (local.get $sp)) (local.get $w))))
          (local.set $wp (i32.add (local.get $wp) (i32.const 8)))
          (local.set $sp (i32.add (local.get $sp) (i32.const 8)))
          (br_if $lb (local.tee $b (i32.sub (local.get $b) (i32.const 1)))))
        (local.set $sp (i32.add (local.get $sp) (local.get $rowSkip)))
        (br_if $la (local.tee $a (i32.sub (local.get $a) (i32.const 1)))))
      (local.set $sp (i32.add (local.get $sp) (local.get $planeSkip)))
      (local.set $wp (i32.add (local.get $wp) (local.get $wSkip)))
      (br_if $li (local.tee $i (i32.sub (local.get $i) (i32.const 1)))))
    (v128.store align=8 (local.get $d0) (local.get $p0))
    (v128.store offset=16 align=8 (local.get $d0) (local.get $p1))
    (v128.store offset=32 align=8 (local.get $d0) (local.get $p2))
    (v128.store offset=48 align=8 (local.get $d0) (local.get $p3))
    (v128.store offset=64 align=8 (local.get $d0) (local.get $p4))
    (v128.store offset=80 align=8 (local.get $d0) (local.get $p5))
    (v128.store offset=96 align=8 (local.get $d0) (local.get $p6))
    (v128.store offset=112 align=8 (local.get $d0) (local.get $p7)))

  ;; One filter, 2 pixels (1 if $half).
  (func $single1 (param $sp i32) (param $wp i32) (param $d0 i32)
                 (param $cin i32) (param $kh i32) (param $kw i32) (param $rowSkip i32) (param $planeSkip i32) (param $wSkip i32)
                 (param $half i32)
    (local $i i32) (local $a i32) (local $b i32) (local $p0 v128)
    (local.set $i (local.get $cin))
    (loop $li
      (local.set $a (local.get $kh))
      (loop $la
        (local.set $b (local.get $kw))
        (loop $lb
          (local.set $p0 (f64x2.add (local.get $p0)
            (f64x2.mul (v128.load align=8 (local.get $sp)) (v128.load64_splat align=8 (local.get $wp)))))
          (local.set $wp (i32.add (local.get $wp) (i32.const 8)))
          (local.set $sp (i32.add (local.get $sp) (i32.const 8)))
          (br_if $lb (local.tee $b (i32.sub (local.get $b) (i32.const 1)))))
        (local.set $sp (i32.add (local.get $sp) (local.get $rowSkip)))
        (br_if $la (local.tee $a (i32.sub (local.get $a) (i32.const 1)))))
      (local.set $sp (i32.add (local.get $sp) (local.get $planeSkip)))
      (local.set $wp (i32.add (local.get $wp) (local.get $wSkip)))
      (br_if $li (local.tee $i (i32.sub (local.get $i) (i32.const 1)))))
    (if (local.get $half)
      (then (v128.store64_lane align=8 0 (local.get $d0) (local.get $p0)))
      (else (v128.store align=8 (local.get $d0) (local.get $p0)))))

  ;; One row of pixels [0, ow) of two outputs: blocks of 8, then 4, then pairs, then a last one.
  ;; Source columns from $c1 on are zero: the blocks of 4 and 2 pixels at the right end skip the
  ;; taps that read only those (blocks of 8 end before c1 in both uses, and read at least one
  ;; non-zero column at every tap up to 7 × 7 kernels).
  (func $pairRow (param $sp i32) (param $wp i32) (param $ws i32) (param $d0 i32) (param $d1 i32) (param $ow i32)
                 (param $cin i32) (param $kh i32) (param $kw i32) (param $rowSkip i32) (param $planeSkip i32) (param $wSkip i32)
                 (param $head i32) (param $tail i32) (param $c1 i32)
    (local $x i32) (local $skip i32)
    (block $d8
      (loop $l8
        (br_if $d8 (i32.gt_s (i32.add (local.get $x) (i32.const 8)) (local.get $ow)))
        (if (i32.or (local.get $head) (local.get $tail))
          (then
            (call $rowPair4 (i32.add (local.get $sp) (i32.shl (local.get $x) (i32.const 3))) (local.get $wp) (local.get $ws)
              (i32.add (local.get $d0) (i32.shl (local.get $x) (i32.const 3))) (i32.add (local.get $d1) (i32.shl (local.get $x) (i32.const 3)))
              (local.get $cin) (local.get $kh) (local.get $kw) (local.get $rowSkip) (local.get $planeSkip) (local.get $wSkip)
              (local.get $head) (local.get $tail)))
          (else
            (call $pair4 (i32.add (local.get $sp) (i32.shl (local.get $x) (i32.const 3))) (local.get $wp) (local.get $ws)
              (i32.add (local.get $d0) (i32.shl (local.get $x) (i32.const 3))) (i32.add (local.get $d1) (i32.shl (local.get $x) (i32.const 3)))
              (local.get $cin) (local.get $kh) (local.get $kw) (local.get $rowSkip) (local.get $planeSkip) (local.get $wSkip))))
        (local.set $x (i32.add (local.get $x) (i32.const 8)))
        (br $l8)))
    (if (i32.le_s (i32.add (local.get $x) (i32.const 4)) (local.get $ow))
      (then
        (local.set $skip (call $zeroTaps (local.get $x) (local.get $kw) (local.get $c1)))
        (call $pair2 (i32.add (local.get $sp) (i32.shl (local.get $x) (i32.const 3))) (local.get $wp) (local.get $ws)
          (i32.add (local.get $d0) (i32.shl (local.get $x) (i32.const 3))) (i32.add (local.get $d1) (i32.shl (local.get $x) (i32.const 3)))
          (local.get $cin) (local.get $kh) (i32.sub (local.get $kw) (local.get $skip))
          (i32.add (local.get $rowSkip) (i32.shl (local.get $skip) (i32.const 3))) (local.get $planeSkip) (local.get $wSkip)
          (i32.shl (local.get $skip) (i32.const 3)))
        (local.set $x (i32.add (local.get $x) (i32.const 4)))))
    (block $d2
      (loop $l2
        (br_if $d2 (i32.ge_s (local.get $x) (local.get $ow)))
        (local.set $skip (call $zeroTaps (local.get $x) (local.get $kw) (local.get $c1)))
        (call $pair1 (i32.add (local.get $sp) (i32.shl (local.get $x) (i32.const 3))) (local.get $wp) (local.get $ws)
          (i32.add (local.get $d0) (i32.shl (local.get $x) (i32.const 3))) (i32.add (local.get $d1) (i32.shl (local.get $x) (i32.const 3)))
          (local.get $cin) (local.get $kh) (i32.sub (local.get $kw) (local.get $skip))
          (i32.add (local.get $rowSkip) (i32.shl (local.get $skip) (i32.const 3))) (local.get $planeSkip) (local.get $wSkip)
          (i32.shl (local.get $skip) (i32.const 3))
          (i32.eq (i32.add (local.get $x) (i32.const 1)) (local.get $ow)))
        (local.set $x (i32.add (local.get $x) (i32.const 2)))
        (br $l2))))

  ;; The last taps of a kernel row that a block from column $x on reads in zero columns only
  ;; (source columns from $c1 on): kw − (c1 − x), between 0 and kw − 1 (a block whose every tap
  ;; reads zeros keeps its first, which gives the zero it must).
  (func $zeroTaps (param $x i32) (param $kw i32) (param $c1 i32) (result i32)
    (local $n i32)
    (local.set $n (i32.sub (local.get $kw) (i32.sub (local.get $c1) (local.get $x))))
    (if (i32.lt_s (local.get $n) (i32.const 0)) (then (local.set $n (i32.const 0))))
    (if (i32.ge_s (local.get $n) (local.get $kw)) (then (local.set $n (i32.sub (local.get $kw) (i32.const 1)))))
    (local.get $n))

  ;; One row of pixels [0, ow) of one output: blocks of 16, then pairs, then a last one.
  (func $singleRow (param $sp i32) (param $wp i32) (param $d0 i32) (param $ow i32)
                   (param $cin i32) (param $kh i32) (param $kw i32) (param $rowSkip i32) (param $planeSkip i32) (param $wSkip i32)
    (local $x i32)
    (block $d16
      (loop $l16
        (br_if $d16 (i32.gt_s (i32.add (local.get $x) (i32.const 16)) (local.get $ow)))
        (call $single8 (i32.add (local.get $sp) (i32.shl (local.get $x) (i32.const 3))) (local.get $wp)
          (i32.add (local.get $d0) (i32.shl (local.get $x) (i32.const 3)))
          (local.get $cin) (local.get $kh) (local.get $kw) (local.get $rowSkip) (local.get $planeSkip) (local.get $wSkip))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (br $l16)))
    (block $d1
      (loop $l1
        (br_if $d1 (i32.ge_s (local.get $x) (local.get $ow)))
        (call $single1 (i32.add (local.get $sp) (i32.shl (local.get $x) (i32.const 3))) (local.get $wp)
          (i32.add (local.get $d0) (i32.shl (local.get $x) (i32.const 3)))
          (local.get $cin) (local.get $kh) (local.get $kw) (local.get $rowSkip) (local.get $planeSkip) (local.get $wSkip)
          (i32.eq (i32.add (local.get $x) (i32.const 1)) (local.get $ow)))
        (local.set $x (i32.add (local.get $x) (i32.const 2)))
        (br $l1))))

  ;; The taps of kernel rows [s0, s1) of `span` rows at output row $y, where source rows outside
  ;; [z0, z1) are zero and skipped: s0 = max(0, z0 − y), s1 = min(span, z1 − y); returns s0 and
  ;; the count s1 − s0 (≤ 0 when every row is zero).
  (func $active (param $y i32) (param $span i32) (param $z0 i32) (param $z1 i32) (result i32 i32)
    (local $s0 i32) (local $s1 i32)
    (local.set $s0 (i32.sub (local.get $z0) (local.get $y)))
    (if (i32.lt_s (local.get $s0) (i32.const 0)) (then (local.set $s0 (i32.const 0))))
    (local.set $s1 (i32.sub (local.get $z1) (local.get $y)))
    (if (i32.gt_s (local.get $s1) (local.get $span)) (then (local.set $s1 (local.get $span))))
    (local.get $s0)
    (i32.sub (local.get $s1) (local.get $s0)))

  ;; Two outputs of a row from `span` kernel rows (kh for two filters, kh + 1 for two rows),
  ;; trimmed to the non-zero source rows; both outputs are zero when no row is.
  (func $trimmedPair (param $src i32) (param $y i32) (param $span i32) (param $z0 i32) (param $z1 i32)
                     (param $wp i32) (param $ws i32) (param $d0 i32) (param $d1 i32) (param $ow i32)
                     (param $cin i32) (param $kh i32) (param $kw i32) (param $ph i32) (param $rowBytes i32) (param $c1 i32)
    (local $s0 i32) (local $n i32) (local $kwBytes i32)
    (call $active (local.get $y) (local.get $span) (local.get $z0) (local.get $z1))
    (local.set $n)
    (local.set $s0)
    (if (i32.le_s (local.get $n) (i32.const 0))
      (then
        (memory.fill (local.get $d0) (i32.const 0) (i32.shl (local.get $ow) (i32.const 3)))
        (memory.fill (local.get $d1) (i32.const 0) (i32.shl (local.get $ow) (i32.const 3)))
        (return)))
    (local.set $kwBytes (i32.shl (local.get $kw) (i32.const 3)))
    (call $pairRow
      (i32.add (local.get $src) (i32.mul (i32.add (local.get $y) (local.get $s0)) (local.get $rowBytes)))
      (i32.add (local.get $wp) (i32.mul (local.get $s0) (local.get $kwBytes))) (local.get $ws)
      (local.get $d0) (local.get $d1) (local.get $ow) (local.get $cin) (local.get $n) (local.get $kw)
      (i32.sub (local.get $rowBytes) (local.get $kwBytes))
      (i32.mul (i32.sub (local.get $ph) (local.get $n)) (local.get $rowBytes))
      (i32.mul (i32.sub (i32.add (local.get $kh) (i32.const 2)) (local.get $n)) (local.get $kwBytes))
      ;; two rows: whether the first / last source row meets a zero kernel row
      (i32.and (i32.gt_s (local.get $span) (local.get $kh)) (i32.eqz (local.get $s0)))
      (i32.and (i32.gt_s (local.get $span) (local.get $kh)) (i32.eq (i32.add (local.get $s0) (local.get $n)) (local.get $span)))
      (local.get $c1)))

  ;; One output row from kh kernel rows, trimmed like $trimmedPair.
  (func $trimmedSingle (param $src i32) (param $y i32) (param $z0 i32) (param $z1 i32)
                       (param $wp i32) (param $d0 i32) (param $ow i32)
                       (param $cin i32) (param $kh i32) (param $kw i32) (param $ph i32) (param $rowBytes i32)
    (local $s0 i32) (local $n i32) (local $kwBytes i32)
    (call $active (local.get $y) (local.get $kh) (local.get $z0) (local.get $z1))
    (local.set $n)
    (local.set $s0)
    (if (i32.le_s (local.get $n) (i32.const 0))
      (then
        (memory.fill (local.get $d0) (i32.const 0) (i32.shl (local.get $ow) (i32.const 3)))
        (return)))
    (local.set $kwBytes (i32.shl (local.get $kw) (i32.const 3)))
    (call $singleRow
      (i32.add (local.get $src) (i32.mul (i32.add (local.get $y) (local.get $s0)) (local.get $rowBytes)))
      (i32.add (local.get $wp) (i32.mul (local.get $s0) (local.get $kwBytes)))
      (local.get $d0) (local.get $ow) (local.get $cin) (local.get $n) (local.get $kw)
      (i32.sub (local.get $rowBytes) (local.get $kwBytes))
      (i32.mul (i32.sub (local.get $ph) (local.get $n)) (local.get $rowBytes))
      (i32.mul (i32.sub (i32.add (local.get $kh) (i32.const 2)) (local.get $n)) (local.get $kwBytes))))

  ;; dst[j, y, x] = Σ_i Σ_{a,b} w[j, i, a, b]·src[i, y + a, x + b] for j < cout, y < oh, x < ow:
  ;; `cin` source planes ph×pw at $src (pw = ow + kw − 1, ph = oh + kh − 1) whose rows outside
  ;; [z0, z1) and columns from c1 on are zero (their taps are skipped: the rows', and the columns'
  ;; at the right end of a row), weights [cout][cin][kh + 2][kw] at $w (kernel rows 1…kh, rows 0
  ;; and kh + 1 zero), `cout` planes oh×ow at $dst. Rows go in bands of
  ;; `rows` (even); within a band filters go in pairs at each row, and a last, unpaired filter
  ;; goes in pairs of rows.
  (func (export "correlate") (param $cin i32) (param $cout i32) (param $ph i32) (param $pw i32)
        (param $oh i32) (param $ow i32) (param $kh i32) (param $kw i32)
        (param $src i32) (param $w i32) (param $dst i32) (param $rows i32) (param $z0 i32) (param $z1 i32) (param $c1 i32)
    (local $ws i32) (local $kwBytes i32) (local $dPlane i32) (local $rowBytes i32)
    (local $y0 i32) (local $y1 i32) (local $y i32) (local $j i32) (local $wp i32) (local $dRow i32)
    (local.set $kwBytes (i32.shl (local.get $kw) (i32.const 3)))
    (local.set $ws (i32.mul (i32.mul (local.get $cin) (i32.add (local.get $kh) (i32.const 2))) (local.get $kwBytes)))
    (local.set $dPlane (i32.shl (i32.mul (local.get $oh) (local.get $ow)) (i32.const 3)))
    (local.set $rowBytes (i32.shl (local.get $pw) (i32.const 3)))
    (block $bands
      (loop $band
        (br_if $bands (i32.ge_s (local.get $y0) (local.get $oh)))
        (local.set $y1 (i32.add (local.get $y0) (local.get $rows)))
        (if (i32.gt_s (local.get $y1) (local.get $oh)) (then (local.set $y1 (local.get $oh))))
        ;; pairs of filters, row by row (weights from kernel row 1, two zero rows between channels)
        (local.set $j (i32.const 0))
        (block $pairs
          (loop $pair
            (br_if $pairs (i32.ge_s (i32.add (local.get $j) (i32.const 1)) (local.get $cout)))
            (local.set $wp (i32.add (i32.add (local.get $w) (i32.mul (local.get $j) (local.get $ws))) (local.get $kwBytes)))
            (local.set $y (local.get $y0))
            (loop $row
              (local.set $dRow (i32.add (i32.add (local.get $dst) (i32.mul (local.get $j) (local.get $dPlane)))
                (i32.shl (i32.mul (local.get $y) (local.get $ow)) (i32.const 3))))
              (call $trimmedPair (local.get $src) (local.get $y) (local.get $kh) (local.get $z0) (local.get $z1)
                (local.get $wp) (local.get $ws) (local.get $dRow) (i32.add (local.get $dRow) (local.get $dPlane)) (local.get $ow)
                (local.get $cin) (local.get $kh) (local.get $kw) (local.get $ph) (local.get $rowBytes) (local.get $c1))
              (local.set $y (i32.add (local.get $y) (i32.const 1)))
              (br_if $row (i32.lt_s (local.get $y) (local.get $y1))))
            (local.set $j (i32.add (local.get $j) (i32.const 2)))
            (br $pair)))
        ;; the last filter of an odd count: pairs of rows y, y + 1 over kh + 1 source rows, the
        ;; weights of row y from kernel row 1 and those of row y + 1 one kernel row above
        (if (i32.lt_s (local.get $j) (local.get $cout))
          (then
            (local.set $wp (i32.add (i32.add (local.get $w) (i32.mul (local.get $j) (local.get $ws))) (local.get $kwBytes)))
            (local.set $y (local.get $y0))
            (block $rowPairs
              (loop $rowPair
                (br_if $rowPairs (i32.ge_s (i32.add (local.get $y) (i32.const 1)) (local.get $y1)))
                (local.set $dRow (i32.add (i32.add (local.get $dst) (i32.mul (local.get $j) (local.get $dPlane)))
                  (i32.shl (i32.mul (local.get $y) (local.get $ow)) (i32.const 3))))
                (call $trimmedPair (local.get $src) (local.get $y) (i32.add (local.get $kh) (i32.const 1)) (local.get $z0) (local.get $z1)
                  (local.get $wp) (i32.sub (i32.const 0) (local.get $kwBytes))
                  (local.get $dRow) (i32.add (local.get $dRow) (i32.shl (local.get $ow) (i32.const 3))) (local.get $ow)
                  (local.get $cin) (local.get $kh) (local.get $kw) (local.get $ph) (local.get $rowBytes) (local.get $c1))
                (local.set $y (i32.add (local.get $y) (i32.const 2)))
                (br $rowPair)))
            (if (i32.lt_s (local.get $y) (local.get $y1))
              (then
                (call $trimmedSingle (local.get $src) (local.get $y) (local.get $z0) (local.get $z1) (local.get $wp)
                  (i32.add (i32.add (local.get $dst) (i32.mul (local.get $j) (local.get $dPlane)))
                    (i32.shl (i32.mul (local.get $y) (local.get $ow)) (i32.const 3)))
                  (local.get $ow) (local.get $cin) (local.get $kh) (local.get $kw) (local.get $ph) (local.get $rowBytes))))))
        (local.set $y0 (local.get $y1))
        (br $band))))

  ;; ------------------------------------------------------------------------------------------
  ;; gradient blocks: accumulate Σ_{rows, x} v[j, y, x]·src[i, y + a, x + b + t] for t < 4, 3, 1
  ;; over `rows` rows of `n2` pixel pairs. $sp = src[i, y0 + a, b], $vp = v[j, y0, 0], $vs =
  ;; bytes from plane j to j + 1 of v, $gp = g[j, i, a, b], $gs = bytes from filter j to j + 1
  ;; of g, $sSkip = (pw − 2·n2)·8 from the end of a row's pixels to the next source row (v rows
  ;; are contiguous). The sums are added to g.

  ;; Two filters, 4 taps.
  (func $gPair4 (param $sp i32) (param $vp i32) (param $vs i32) (param $gp i32) (param $gs i32)
                (param $rows i32) (param $n2 i32) (param $sSkip i32)
    (local $x i32) (local $va v128) (local $vb v128) (local $s v128)
    (local $p0 v128) (local $p1 v128) (local $p2 v128) (local $p3 v128)
    (local $q0 v128) (local $q1 v128) (local $q2 v128) (local $q3 v128)
    (loop $ly
      (local.set $x (local.get $n2))
      (loop $lx
        (local.set $va (v128.load align=8 (local.get $vp)))
        (local.set $vb (v128.load align=8 (i32.add (local.get $vp) (local.get $vs))))
        (local.set $s (v128.load align=8 (local.get $sp)))
        (local.set $p0 (f64x2.add (local.get $p0) (f64x2.mul (local.get $s) (local.get $va))))
        (local.set $q0 (f64x2.add (local.get $q0) (f64x2.mul (local.get $s) (local.get $vb))))
        (local.set $s (v128.load offset=8 align=8 (local.get $sp)))
        (local.set $p1 (f64x2.add (local.get $p1) (f64x2.mul (local.get $s) (local.get $va))))
        (local.set $q1 (f64x2.add (local.get $q1) (f64x2.mul (local.get $s) (local.get $vb))))
        (local.set $s (v128.load offset=16 align=8 (local.get $sp)))
        (local.set $p2 (f64x2.add (local.get $p2) (f64x2.mul (local.get $s) (local.get $va))))
        (local.set $q2 (f64x2.add (local.get $q2) (f64x2.mul (local.get $s) (local.get $vb))))
        (local.set $s (v128.load offset=24 align=8 (local.get $sp)))
        (local.set $p3 (f64x2.add (local.get $p3) (f64x2.mul (local.get $s) (local.get $va))))
        (local.set $q3 (f64x2.add (local.get $q3) (f64x2.mul (local.get $s) (local.get $vb))))
        (local.set $vp (i32.add (local.get $vp) (i32.const 16)))
        (local.set $sp (i32.add (local.get $sp) (i32.const 16)))
        (br_if $lx (local.tee $x (i32.sub (local.get $x) (i32.const 1)))))
      (local.set $sp (i32.add (local.get $sp) (local.get $sSkip)))
      (br_if $ly (local.tee $rows (i32.sub (local.get $rows) (i32.const 1)))))
    (call $addTo (local.get $gp) (local.get $p0))
    (call $addTo (i32.add (local.get $gp) (i32.const 8)) (local.get $p1))
    (call $addTo (i32.add (local.get $gp) (i32.const 16)) (local.get $p2))
    (call $addTo (i32.add (local.get $gp) (i32.const 24)) (local.get $p3))
    (local.set $gp (i32.add (local.get $gp) (local.get $gs)))
    (call $addTo (local.get $gp) (local.get $q0))
    (call $addTo (i32.add (local.get $gp) (i32.const 8)) (local.get $q1))
    (call $addTo (i32.add (local.get $gp) (i32.const 16)) (local.get $q2))
    (call $addTo (i32.add (local.get $gp) (i32.const 24)) (local.get $q3)))

  ;; Two filters, 3 taps.
  (func $gPair3 (param $sp i32) (param $vp i32) (param $vs i32) (param $gp i32) (param $gs i32)
                (param $rows i32) (param $n2 i32) (param $sSkip i32)
    (local $x i32) (local $va v128) (local $vb v128) (local $s v128)
    (local $p0 v128) (local $p1 v128) (local $p2 v128)
    (local $q0 v128) (local $q1 v128) (local $q2 v128)
    (loop $ly
      (local.set $x (local.get $n2))
      (loop $lx
        (local.set $va (v128.load align=8 (local.get $vp)))
        (local.set $vb (v128.load align=8 (i32.add (local.get $vp) (local.get $vs))))
        (local.set $s (v128.load align=8 (local.get $sp)))
        (local.set $p0 (f64x2.add (local.get $p0) (f64x2.mul (local.get $s) (local.get $va))))
        (local.set $q0 (f64x2.add (local.get $q0) (f64x2.mul (local.get $s) (local.get $vb))))
        (local.set $s (v128.load offset=8 align=8 (local.get $sp)))
        (local.set $p1 (f64x2.add (local.get $p1) (f64x2.mul (local.get $s) (local.get $va))))
        (local.set $q1 (f64x2.add (local.get $q1) (f64x2.mul (local.get $s) (local.get $vb))))
        (local.set $s (v128.load offset=16 align=8 (local.get $sp)))
        (local.set $p2 (f64x2.add (local.get $p2) (f64x2.mul (local.get $s) (local.get $va))))
        (local.set $q2 (f64x2.add (local.get $q2) (f64x2.mul (local.get $s) (local.get $vb))))
        (local.set $vp (i32.add (local.get $vp) (i32.const 16)))
        (local.set $sp (i32.add (local.get $sp) (i32.const 16)))
        (br_if $lx (local.tee $x (i32.sub (local.get $x) (i32.const 1)))))
      (local.set $sp (i32.add (local.get $sp) (local.get $sSkip)))
      (br_if $ly (local.tee $rows (i32.sub (local.get $rows) (i32.const 1)))))
    (call $addTo (local.get $gp) (local.get $p0))
    (call $addTo (i32.add (local.get $gp) (i32.const 8)) (local.get $p1))
    (call $addTo (i32.add (local.get $gp) (i32.const 16)) (local.get $p2))
    (local.set $gp (i32.add (local.get $gp) (local.get $gs)))
    (call $addTo (local.get $gp) (local.get $q0))
    (call $addTo (i32.add (local.get $gp) (i32.const 8)) (local.get $q1))
    (call $addTo (i32.add (local.get $gp) (i32.const 16)) (local.get $q2)))

  ;; Two filters, 1 tap.
  (func $gPair1 (param $sp i32) (param $vp i32) (param $vs i32) (param $gp i32) (param $gs i32)
                (param $rows i32) (param $n2 i32) (param $sSkip i32)
    (local $x i32) (local $s v128) (local $p0 v128) (local $q0 v128)
    (loop $ly
      (local.set $x (local.get $n2))
      (loop $lx
        (local.set $s (v128.load align=8 (local.get $sp)))
        (local.set $p0 (f64x2.add (local.get $p0) (f64x2.mul (local.get $s) (v128.load align=8 (local.get $vp)))))
        (local.set $q0 (f64x2.add (local.get $q0)
          (f64x2.mul (local.get $s) (v128.load align=8 (i32.add (local.get $vp) (local.get $vs))))))
        (local.set $vp (i32.add (local.get $vp) (i32.const 16)))
        (local.set $sp (i32.add (local.get $sp) (i32.const 16)))
        (br_if $lx (local.tee $x (i32.sub (local.get $x) (i32.const 1)))))
      (local.set $sp (i32.add (local.get $sp) (local.get $sSkip)))
      (br_if $ly (local.tee $rows (i32.sub (local.get $rows) (i32.const 1)))))
    (call $addTo (local.get $gp) (local.get $p0))
    (call $addTo (i32.add (local.get $gp) (local.get $gs)) (local.get $q0)))

  ;; One filter, 4 taps.
  (func $gSingle4 (param $sp i32) (param $vp i32) (param $gp i32) (param $rows i32) (param $n2 i32) (param $sSkip i32)
    (local $x i32) (local $va v128)
    (local $p0 v128) (local $p1 v128) (local $p2 v128) (local $p3 v128)
    (loop $ly
      (local.set $x (local.get $n2))
      (loop $lx
        (local.set $va (v128.load align=8 (local.get $vp)))
        (local.set $p0 (f64x2.add (local.get $p0) (f64x2.mul (v128.load align=8 (local.get $sp)) (local.get $va))))
        (local.set $p1 (f64x2.add (local.get $p1) (f64x2.mul (v128.load offset=8 align=8 (local.get $sp)) (local.get $va))))
        (local.set $p2 (f64x2.add (local.get $p2) (f64x2.mul (v128.load offset=16 align=8 (local.get $sp)) (local.get $va))))
        (local.set $p3 (f64x2.add (local.get $p3) (f64x2.mul (v128.load offset=24 align=8 (local.get $sp)) (local.get $va))))
        (local.set $vp (i32.add (local.get $vp) (i32.const 16)))
        (local.set $sp (i32.add (local.get $sp) (i32.const 16)))
        (br_if $lx (local.tee $x (i32.sub (local.get $x) (i32.const 1)))))
      (local.set $sp (i32.add (local.get $sp) (local.get $sSkip)))
      (br_if $ly (local.tee $rows (i32.sub (local.get $rows) (i32.const 1)))))
    (call $addTo (local.get $gp) (local.get $p0))
    (call $addTo (i32.add (local.get $gp) (i32.const 8)) (local.get $p1))
    (call $addTo (i32.add (local.get $gp) (i32.const 16)) (local.get $p2))
    (call $addTo (i32.add (local.get $gp) (i32.const 24)) (local.get $p3)))

  ;; One filter, 1 tap.
  (func $gSingle1 (param $sp i32) (param $vp i32) (param $gp i32) (param $rows i32) (param $n2 i32) (param $sSkip i32)
    (local $x i32) (local $p0 v128)
    (loop $ly
      (local.set $x (local.get $n2))
      (loop $lx
        (local.set $p0 (f64x2.add (local.get $p0)
          (f64x2.mul (v128.load align=8 (local.get $sp)) (v128.load align=8 (local.get $vp)))))
        (local.set $vp (i32.add (local.get $vp) (i32.const 16)))
        (local.set $sp (i32.add (local.get $sp) (i32.const 16)))
        (br_if $lx (local.tee $x (i32.sub (local.get $x) (i32.const 1)))))
      (local.set $sp (i32.add (local.get $sp) (local.get $sSkip)))
      (br_if $ly (local.tee $rows (i32.sub (local.get $rows) (i32.const 1)))))
    (call $addTo (local.get $gp) (local.get $p0)))

  ;; g[j, i, a, b] = Σ_{y < oh, x < ow2} v[j, y, x]·src[i, y + a, x + b] for j < cout, i < cin:
  ;; `cin` source planes ph×pw at $src, `cout` planes oh×ow2 at $v (ow2 even: a row of odd
  ;; width carries one zero), g [cout][cin][kh][kw] at $g (overwritten). Rows go in bands of
  ;; `rows` (the band of v and src stays in cache while every tap passes over it), filters in
  ;; pairs, taps of a kernel row in blocks of 4, 3 and 1.
  (func (export "gradient") (param $cin i32) (param $cout i32) (param $ph i32) (param $pw i32)
        (param $oh i32) (param $ow2 i32) (param $kh i32) (param $kw i32)
        (param $src i32) (param $v i32) (param $g i32) (param $rows i32)
    (local $vs i32) (local $gs i32) (local $n2 i32) (local $sSkip i32)
    (local $y0 i32) (local $yr i32) (local $j i32) (local $i i32) (local $a i32) (local $b i32)
    (local $sp i32) (local $vp i32) (local $gp i32)
    (memory.fill (local.get $g) (i32.const 0)
      (i32.shl (i32.mul (i32.mul (local.get $cout) (local.get $cin)) (i32.mul (local.get $kh) (local.get $kw))) (i32.const 3)))
    (local.set $vs (i32.shl (i32.mul (local.get $oh) (local.get $ow2)) (i32.const 3)))
    (local.set $gs (i32.shl (i32.mul (local.get $cin) (i32.mul (local.get $kh) (local.get $kw))) (i32.const 3)))
    (local.set $n2 (i32.shr_u (local.get $ow2) (i32.const 1)))
    (local.set $sSkip (i32.shl (i32.sub (local.get $pw) (local.get $ow2)) (i32.const 3)))
    (block $bands
      (loop $band
        (br_if $bands (i32.ge_s (local.get $y0) (local.get $oh)))
        (local.set $yr (i32.sub (local.get $oh) (local.get $y0)))
        (if (i32.gt_s (local.get $yr) (local.get $rows)) (then (local.set $yr (local.get $rows))))
        (local.set $j (i32.const 0))
        (loop $filter
          (local.set $i (i32.const 0))
          (loop $in
            (local.set $a (i32.const 0))
            (loop $krow
              (local.set $sp (i32.add (local.get $src)
                (i32.shl (i32.mul (i32.add (i32.mul (local.get $i) (local.get $ph)) (i32.add (local.get $y0) (local.get $a))) (local.get $pw))
                  (i32.const 3))))
              (local.set $vp (i32.add (local.get $v)
                (i32.shl (i32.mul (i32.add (i32.mul (local.get $j) (local.get $oh)) (local.get $y0)) (local.get $ow2)) (i32.const 3))))
              (local.set $gp (i32.add (local.get $g)
                (i32.shl (i32.mul (i32.add (i32.mul (i32.add (i32.mul (local.get $j) (local.get $cin)) (local.get $i)) (local.get $kh)) (local.get $a))
                  (local.get $kw)) (i32.const 3))))
              (local.set $b (i32.const 0))
              (if (i32.lt_s (i32.add (local.get $j) (i32.const 1)) (local.get $cout))
                (then
                  (block $t4
                    (loop $l4
                      (br_if $t4 (i32.gt_s (i32.add (local.get $b) (i32.const 4)) (local.get $kw)))
                      (call $gPair4 (i32.add (local.get $sp) (i32.shl (local.get $b) (i32.const 3))) (local.get $vp) (local.get $vs)
                        (i32.add (local.get $gp) (i32.shl (local.get $b) (i32.const 3))) (local.get $gs)
                        (local.get $yr) (local.get $n2) (local.get $sSkip))
                      (local.set $b (i32.add (local.get $b) (i32.const 4)))
                      (br $l4)))
                  (if (i32.eq (i32.sub (local.get $kw) (local.get $b)) (i32.const 3))
                    (then
                      (call $gPair3 (i32.add (local.get $sp) (i32.shl (local.get $b) (i32.const 3))) (local.get $vp) (local.get $vs)
                        (i32.add (local.get $gp) (i32.shl (local.get $b) (i32.const 3))) (local.get $gs)
                        (local.get $yr) (local.get $n2) (local.get $sSkip))
                      (local.set $b (local.get $kw))))
                  (block $t1
                    (loop $l1
                      (br_if $t1 (i32.ge_s (local.get $b) (local.get $kw)))
                      (call $gPair1 (i32.add (local.get $sp) (i32.shl (local.get $b) (i32.const 3))) (local.get $vp) (local.get $vs)
                        (i32.add (local.get $gp) (i32.shl (local.get $b) (i32.const 3))) (local.get $gs)
                        (local.get $yr) (local.get $n2) (local.get $sSkip))
                      (local.set $b (i32.add (local.get $b) (i32.const 1)))
                      (br $l1))))
                (else
                  (block $s4
                    (loop $m4
                      (br_if $s4 (i32.gt_s (i32.add (local.get $b) (i32.const 4)) (local.get $kw)))
                      (call $gSingle4 (i32.add (local.get $sp) (i32.shl (local.get $b) (i32.const 3))) (local.get $vp)
                        (i32.add (local.get $gp) (i32.shl (local.get $b) (i32.const 3))) (local.get $yr) (local.get $n2) (local.get $sSkip))
                      (local.set $b (i32.add (local.get $b) (i32.const 4)))
                      (br $m4)))
                  (block $s1
                    (loop $m1
                      (br_if $s1 (i32.ge_s (local.get $b) (local.get $kw)))
                      (call $gSingle1 (i32.add (local.get $sp) (i32.shl (local.get $b) (i32.const 3))) (local.get $vp)
                        (i32.add (local.get $gp) (i32.shl (local.get $b) (i32.const 3))) (local.get $yr) (local.get $n2) (local.get $sSkip))
                      (local.set $b (i32.add (local.get $b) (i32.const 1)))
                      (br $m1)))))
              (local.set $a (i32.add (local.get $a) (i32.const 1)))
              (br_if $krow (i32.lt_s (local.get $a) (local.get $kh))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br_if $in (i32.lt_s (local.get $i) (local.get $cin))))
          (local.set $j (i32.add (local.get $j) (i32.const 2)))
          (br_if $filter (i32.lt_s (local.get $j) (local.get $cout))))
        (local.set $y0 (i32.add (local.get $y0) (local.get $yr)))
        (br $band))))

  ;; ------------------------------------------------------------------------------------------
  ;; A block of h rows × w columns of each of n planes: from the planes sh×sw whose block starts
  ;; at $src into the planes dh×dw whose block starts at $dst (a plane into the interior of a
  ;; larger one, or the interior out of it). The rest of the destination planes is not written.
  (func (export "copy") (param $n i32) (param $h i32) (param $w i32) (param $src i32)
        (param $sh i32) (param $sw i32) (param $dst i32) (param $dh i32) (param $dw i32)
    (local $rows i32) (local $s i32) (local $d i32) (local $e i32) (local $end2 i32)
    (local $sRow i32) (local $dRow i32) (local $sGap i32) (local $dGap i32)
    (local.set $rows (i32.mul (local.get $n) (local.get $h)))
    (if (i32.eqz (local.get $rows)) (then (return)))
    (local.set $sRow (i32.shl (local.get $sw) (i32.const 3)))
    (local.set $dRow (i32.shl (local.get $dw) (i32.const 3)))
    ;; from the last row of a block to the first row of the next plane's: the rows below and above
    (local.set $sGap (i32.mul (i32.add (i32.sub (local.get $sh) (local.get $h)) (i32.const 1)) (local.get $sRow)))
    (local.set $dGap (i32.mul (i32.add (i32.sub (local.get $dh) (local.get $h)) (i32.const 1)) (local.get $dRow)))
    (loop $row
      (local.set $s (local.get $src))
      (local.set $d (local.get $dst))
      (local.set $e (i32.add (local.get $d) (i32.shl (local.get $w) (i32.const 3))))
      (local.set $end2 (i32.sub (local.get $e) (i32.const 16)))
      ;; two doubles per step, then the last one
      (block $d2
        (loop $l2
          (br_if $d2 (i32.gt_s (local.get $d) (local.get $end2)))
          (v128.store align=8 (local.get $d) (v128.load align=8 (local.get $s)))
          (local.set $s (i32.add (local.get $s) (i32.const 16)))
          (local.set $d (i32.add (local.get $d) (i32.const 16)))
          (br $l2)))
      (if (i32.lt_s (local.get $d) (local.get $e))
        (then (f64.store (local.get $d) (f64.load (local.get $s)))))
      (local.set $rows (i32.sub (local.get $rows) (i32.const 1)))
      ;; next row: the same plane, or (every h rows) the next plane
      (if (i32.eqz (i32.rem_u (local.get $rows) (local.get $h)))
        (then
          (local.set $src (i32.add (local.get $src) (local.get $sGap)))
          (local.set $dst (i32.add (local.get $dst) (local.get $dGap))))
        (else
          (local.set $src (i32.add (local.get $src) (local.get $sRow)))
          (local.set $dst (i32.add (local.get $dst) (local.get $dRow)))))
      (br_if $row (local.get $rows)))))
