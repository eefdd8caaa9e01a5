;; Fused Huber-TV PDHG step (float64, WebAssembly SIMD f64x2).
(module
  (import "env" "memory" (memory 1))

  ;; Sum of the two lanes.
  (func $hsum (param $v v128) (result f64)
    (f64.add (f64x2.extract_lane 0 (local.get $v)) (f64x2.extract_lane 1 (local.get $v))))

  ;; y ← prox_{σf*}(y + σ∇x̄) on one row: w = y + σ∇x̄, y = pmin(c, α/‖w‖)·w.
  (func $dualRow (param $xr i32) (param $y0r i32) (param $y1r i32) (param $n i32) (param $dW i32)
                 (param $sigma f64) (param $c f64) (param $alpha f64)
    (local $j i32) (local $last i32)
    (local $sv v128) (local $cv v128) (local $av v128)
    (local $v v128) (local $w0 v128) (local $w1 v128) (local $s v128)
    (local $vs f64) (local $a f64) (local $b f64) (local $t f64)
    (local.set $last (i32.shl (i32.sub (local.get $n) (i32.const 1)) (i32.const 3)))
    (local.set $sv (f64x2.splat (local.get $sigma)))
    (local.set $cv (f64x2.splat (local.get $c)))
    (local.set $av (f64x2.splat (local.get $alpha)))
    (block $vdone
      (loop $vloop
        (br_if $vdone (i32.gt_u (i32.add (local.get $j) (i32.const 16)) (local.get $last)))
        (local.set $v (v128.load align=8 (i32.add (local.get $xr) (local.get $j))))
        (local.set $w0 (f64x2.add (v128.load align=8 (i32.add (local.get $y0r) (local.get $j)))
          (f64x2.mul (local.get $sv) (f64x2.sub (v128.load align=8 (i32.add (i32.add (local.get $xr) (local.get $j)) (i32.const 8))) (local.get $v)))))
        (local.set $w1 (f64x2.add (v128.load align=8 (i32.add (local.get $y1r) (local.get $j)))
          (f64x2.mul (local.get $sv) (f64x2.sub (v128.load align=8 (i32.add (i32.add (local.get $xr) (local.get $j)) (local.get $dW))) (local.get $v)))))
        (local.set $s (f64x2.pmin (local.get $cv)
          (f64x2.div (local.get $av) (f64x2.sqrt (f64x2.add (f64x2.mul (local.get $w0) (local.get $w0)) (f64x2.mul (local.get $w1) (local.get $w1)))))))
        (v128.store align=8 (i32.add (local.get $y0r) (local.get $j)) (f64x2.mul (local.get $s) (local.get $w0)))
        (v128.store align=8 (i32.add (local.get $y1r) (local.get $j)) (f64x2.mul (local.get $s) (local.get $w1)))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $vloop)))
    ;; scalar tail and the last column (no x-difference)
    (block $sdone
      (loop $sloop
        (br_if $sdone (i32.gt_u (local.get $j) (local.get $last)))
        (local.set $vs (f64.load (i32.add (local.get $xr) (local.get $j))))
        (local.set $a (f64.load (i32.add (local.get $y0r) (local.get $j))))
        (if (i32.lt_u (local.get $j) (local.get $last))
          (then (local.set $a (f64.add (local.get $a)
            (f64.mul (local.get $sigma) (f64.sub (f64.load offset=8 (i32.add (local.get $xr) (local.get $j))) (local.get $vs)))))))
        (local.set $b (f64.add (f64.load (i32.add (local.get $y1r) (local.get $j)))
          (f64.mul (local.get $sigma) (f64.sub (f64.load (i32.add (i32.add (local.get $xr) (local.get $j)) (local.get $dW))) (local.get $vs)))))
        (local.set $t (f64.div (local.get $alpha) (f64.sqrt (f64.add (f64.mul (local.get $a) (local.get $a)) (f64.mul (local.get $b) (local.get $b))))))
        (local.set $t (select (local.get $t) (local.get $c) (f64.lt (local.get $t) (local.get $c))))
        (f64.store (i32.add (local.get $y0r) (local.get $j)) (f64.mul (local.get $t) (local.get $a)))
        (f64.store (i32.add (local.get $y1r) (local.get $j)) (f64.mul (local.get $t) (local.get $b)))
        (local.set $j (i32.add (local.get $j) (i32.const 8)))
        (br $sloop))))

  ;; One pixel of the primal update given its divergence d; returns (x⁺ − x)².
  (func $primalPixel (param $xp i32) (param $xbp i32) (param $bp i32) (param $d f64)
                     (param $tau f64) (param $tl f64) (param $inv f64) (param $theta f64) (result f64)
    (local $xo f64) (local $xn f64)
    (local.set $xo (f64.load (local.get $xp)))
    (local.set $xn (f64.mul (f64.add (f64.add (local.get $xo) (f64.mul (local.get $tau) (local.get $d)))
      (f64.mul (local.get $tl) (f64.load (local.get $bp)))) (local.get $inv)))
    (f64.store (local.get $xp) (local.get $xn))
    (f64.store (local.get $xbp) (f64.add (local.get $xn) (f64.mul (local.get $theta) (f64.sub (local.get $xn) (local.get $xo)))))
    (f64.mul (f64.sub (local.get $xn) (local.get $xo)) (f64.sub (local.get $xn) (local.get $xo))))

  ;; Neumann divergence of (q0, q1) at byte j of a row: q0[j] − q0[j−1] + q1own[j] − q1up[j]
  ;; with the x-part needing j < last and j > 0; q1own, q1up are the rows of q1 at i and i − 1,
  ;; or a row of zeros where the term is dropped (last row, first row).
  (func $div (param $q0 i32) (param $q1own i32) (param $q1up i32) (param $j i32) (param $last i32) (result f64)
    (f64.add
      (f64.sub
        (select (f64.load (i32.add (local.get $q0) (local.get $j))) (f64.const 0) (i32.lt_u (local.get $j) (local.get $last)))
        (select (f64.load offset=0 (i32.sub (i32.add (local.get $q0) (local.get $j)) (i32.const 8))) (f64.const 0) (i32.gt_u (local.get $j) (i32.const 0))))
      (f64.sub
        (f64.load (i32.add (local.get $q1own) (local.get $j)))
        (f64.load (i32.add (local.get $q1up) (local.get $j))))))

  ;; x⁺ = (x + τ div y + τλb)/(1 + τλ), x̄ = x⁺ + ϑ(x⁺ − x) on one row; returns Σ(x⁺ − x)².
  ;; div y as in $div, with y1own, y1up the rows of y1 at i and i − 1 (or the zero row).
  (func $primalRow (param $xr i32) (param $xbr i32) (param $y0r i32) (param $y1own i32) (param $y1up i32) (param $br i32)
                   (param $n i32) (param $tau f64) (param $tl f64) (param $inv f64) (param $theta f64) (result f64)
    (local $j i32) (local $last i32) (local $sum f64) (local $acc v128)
    (local $tauv v128) (local $tlv v128) (local $invv v128) (local $thv v128)
    (local $d v128) (local $xo v128) (local $xn v128) (local $dx v128)
    (local.set $last (i32.shl (i32.sub (local.get $n) (i32.const 1)) (i32.const 3)))
    (local.set $sum (call $primalPixel (local.get $xr) (local.get $xbr) (local.get $br)
      (call $div (local.get $y0r) (local.get $y1own) (local.get $y1up) (i32.const 0) (local.get $last))
      (local.get $tau) (local.get $tl) (local.get $inv) (local.get $theta)))
    (local.set $tauv (f64x2.splat (local.get $tau)))
    (local.set $tlv (f64x2.splat (local.get $tl)))
    (local.set $invv (f64x2.splat (local.get $inv)))
    (local.set $thv (f64x2.splat (local.get $theta)))
    (local.set $j (i32.const 8))
    (block $vdone
      (loop $vloop
        (br_if $vdone (i32.gt_u (i32.add (local.get $j) (i32.const 16)) (local.get $last)))
        (local.set $d (f64x2.add
          (f64x2.sub (v128.load align=8 (i32.add (local.get $y0r) (local.get $j)))
                     (v128.load align=8 (i32.sub (i32.add (local.get $y0r) (local.get $j)) (i32.const 8))))
          (f64x2.sub (v128.load align=8 (i32.add (local.get $y1own) (local.get $j)))
                     (v128.load align=8 (i32.add (local.get $y1up) (local.get $j))))))
        (local.set $xo (v128.load align=8 (i32.add (local.get $xr) (local.get $j))))
        (local.set $xn (f64x2.mul (f64x2.add (f64x2.add (local.get $xo) (f64x2.mul (local.get $tauv) (local.get $d)))
          (f64x2.mul (local.get $tlv) (v128.load align=8 (i32.add (local.get $br) (local.get $j))))) (local.get $invv)))
        (local.set $dx (f64x2.sub (local.get $xn) (local.get $xo)))
        (v128.store align=8 (i32.add (local.get $xr) (local.get $j)) (local.get $xn))
        (v128.store align=8 (i32.add (local.get $xbr) (local.get $j)) (f64x2.add (local.get $xn) (f64x2.mul (local.get $thv) (local.get $dx))))
        (local.set $acc (f64x2.add (local.get $acc) (f64x2.mul (local.get $dx) (local.get $dx))))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $vloop)))
    (local.set $sum (f64.add (local.get $sum) (call $hsum (local.get $acc))))
    ;; scalar tail and the last column (its y0 is dropped)
    (block $sdone
      (loop $sloop
        (br_if $sdone (i32.gt_u (local.get $j) (local.get $last)))
        (local.set $sum (f64.add (local.get $sum) (call $primalPixel
          (i32.add (local.get $xr) (local.get $j)) (i32.add (local.get $xbr) (local.get $j)) (i32.add (local.get $br) (local.get $j))
          (call $div (local.get $y0r) (local.get $y1own) (local.get $y1up) (local.get $j) (local.get $last))
          (local.get $tau) (local.get $tl) (local.get $inv) (local.get $theta))))
        (local.set $j (i32.add (local.get $j) (i32.const 8)))
        (br $sloop)))
    (local.get $sum))

  ;; One PDHG iteration over C channels of H×W in a single sweep: row i's dual update reads x̄
  ;; rows i, i+1 (not yet updated), row i's primal update reads y rows i, i−1 (already updated).
  ;; Pointers are byte offsets of x, x̄, y0, y1, b and of a row of W zeros. Returns Σ(x⁺ − x)².
  (func (export "step") (param $C i32) (param $H i32) (param $W i32)
        (param $x i32) (param $xb i32) (param $y0 i32) (param $y1 i32) (param $b i32) (param $zero i32)
        (param $sigma f64) (param $c f64) (param $alpha f64)
        (param $tau f64) (param $tl f64) (param $inv f64) (param $theta f64) (result f64)
    (local $ch i32) (local $i i32) (local $o i32) (local $row i32) (local $sum f64)
    (local.set $row (i32.shl (local.get $W) (i32.const 3)))
    (block $cdone
      (loop $cloop
        (br_if $cdone (i32.ge_u (local.get $ch) (local.get $C)))
        (local.set $i (i32.const 0))
        (block $rdone
          (loop $rloop
            (br_if $rdone (i32.ge_u (local.get $i) (local.get $H)))
            (call $dualRow
              (i32.add (local.get $xb) (local.get $o)) (i32.add (local.get $y0) (local.get $o)) (i32.add (local.get $y1) (local.get $o))
              (local.get $W)
              (select (local.get $row) (i32.const 0) (i32.lt_u (i32.add (local.get $i) (i32.const 1)) (local.get $H)))
              (local.get $sigma) (local.get $c) (local.get $alpha))
            (local.set $sum (f64.add (local.get $sum) (call $primalRow
              (i32.add (local.get $x) (local.get $o)) (i32.add (local.get $xb) (local.get $o)) (i32.add (local.get $y0) (local.get $o))
              (select (i32.add (local.get $y1) (local.get $o)) (local.get $zero) (i32.lt_u (i32.add (local.get $i) (i32.const 1)) (local.get $H)))
              (select (i32.sub (i32.add (local.get $y1) (local.get $o)) (local.get $row)) (local.get $zero) (i32.gt_u (local.get $i) (i32.const 0)))
              (i32.add (local.get $b) (local.get $o))
              (local.get $W) (local.get $tau) (local.get $tl) (local.get $inv) (local.get $theta))))
            (local.set $o (i32.add (local.get $o) (local.get $row)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $rloop)))
        (local.set $ch (i32.add (local.get $ch) (i32.const 1)))
        (br $cloop)))
    (local.get $sum))

  ;; ---- certificate: one sweep over the rows (SIMD interior, scalar edge columns) ----
  ;; Row i: p = ∇f(∇x) on row i, then the primal stationarity on row i (div p needs p rows
  ;; i, i−1), then the dual stationarity on row i−1 (∇u needs u rows i−1, i). Results in globals.
  (global $reg (export "reg") (mut f64) (f64.const 0))
  (global $rx2 (export "rx2") (mut f64) (f64.const 0))
  (global $data (export "data") (mut f64) (f64.const 0))
  (global $gStar (export "gStar") (mut f64) (f64.const 0))
  (global $ry2 (export "ry2") (mut f64) (f64.const 0))
  (global $yy (export "yy") (mut f64) (f64.const 0))
  (global $maxNorm2 (export "maxNorm2") (mut f64) (f64.const 0))

  ;; p = ∇f(∇x) = α∇x/max(ε, |∇x|) on one row; adds Σ Huber_ε(|∇x|) to $reg (t²/(2ε) for t ≤ ε,
  ;; t − ε/2 otherwise; ε = 0 comes as aOverE = e2 = halfInvE = 0: p = α∇x/|∇x|, 0 where ∇x = 0).
  (func $gradientRow (param $xr i32) (param $p0r i32) (param $p1r i32) (param $n i32) (param $dW i32)
                     (param $alpha f64) (param $halfEps f64) (param $aOverE f64) (param $e2 f64) (param $halfInvE f64)
    (local $j i32) (local $last i32) (local $acc v128)
    (local $v v128) (local $g0 v128) (local $g1 v128) (local $t2 v128) (local $t v128) (local $m v128) (local $sc v128)
    (local $vs f64) (local $a f64) (local $b f64) (local $s2 f64) (local $ts f64) (local $ss f64)
    (local $alphav v128) (local $halfEpsv v128) (local $aOverEv v128) (local $e2v v128) (local $halfInvEv v128)
    (local.set $last (i32.shl (i32.sub (local.get $n) (i32.const 1)) (i32.const 3)))
    (local.set $alphav (f64x2.splat (local.get $alpha)))
    (local.set $halfEpsv (f64x2.splat (local.get $halfEps)))
    (local.set $aOverEv (f64x2.splat (local.get $aOverE)))
    (local.set $e2v (f64x2.splat (local.get $e2)))
    (local.set $halfInvEv (f64x2.splat (local.get $halfInvE)))
    (block $vdone
      (loop $vloop
        (br_if $vdone (i32.gt_u (i32.add (local.get $j) (i32.const 16)) (local.get $last)))
        (local.set $v (v128.load align=8 (i32.add (local.get $xr) (local.get $j))))
        (local.set $g0 (f64x2.sub (v128.load align=8 (i32.add (i32.add (local.get $xr) (local.get $j)) (i32.const 8))) (local.get $v)))
        (local.set $g1 (f64x2.sub (v128.load align=8 (i32.add (i32.add (local.get $xr) (local.get $j)) (local.get $dW))) (local.get $v)))
        (local.set $t2 (f64x2.add (f64x2.mul (local.get $g0) (local.get $g0)) (f64x2.mul (local.get $g1) (local.get $g1))))
        (local.set $t (f64x2.sqrt (local.get $t2)))
        (local.set $m (f64x2.gt (local.get $t2) (local.get $e2v)))
        (local.set $sc (v128.bitselect (f64x2.div (local.get $alphav) (local.get $t)) (local.get $aOverEv) (local.get $m)))
        (v128.store align=8 (i32.add (local.get $p0r) (local.get $j)) (f64x2.mul (local.get $sc) (local.get $g0)))
        (v128.store align=8 (i32.add (local.get $p1r) (local.get $j)) (f64x2.mul (local.get $sc) (local.get $g1)))
        (local.set $acc (f64x2.add (local.get $acc) (v128.bitselect
          (f64x2.sub (local.get $t) (local.get $halfEpsv))
          (f64x2.mul (local.get $t2) (local.get $halfInvEv))
          (local.get $m))))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $vloop)))
    (local.set $ss (call $hsum (local.get $acc)))
    (block $sdone
      (loop $sloop
        (br_if $sdone (i32.gt_u (local.get $j) (local.get $last)))
        (local.set $vs (f64.load (i32.add (local.get $xr) (local.get $j))))
        (local.set $a (select (f64.sub (f64.load offset=8 (i32.add (local.get $xr) (local.get $j))) (local.get $vs)) (f64.const 0)
          (i32.lt_u (local.get $j) (local.get $last))))
        (local.set $b (f64.sub (f64.load (i32.add (i32.add (local.get $xr) (local.get $j)) (local.get $dW))) (local.get $vs)))
        (local.set $s2 (f64.add (f64.mul (local.get $a) (local.get $a)) (f64.mul (local.get $b) (local.get $b))))
        (local.set $ts (f64.sqrt (local.get $s2)))
        (local.set $vs (select (f64.div (local.get $alpha) (local.get $ts)) (local.get $aOverE) (f64.gt (local.get $s2) (local.get $e2))))
        (local.set $ss (f64.add (local.get $ss) (select (f64.sub (local.get $ts) (local.get $halfEps)) (f64.mul (local.get $s2) (local.get $halfInvE))
          (f64.gt (local.get $s2) (local.get $e2)))))
        (f64.store (i32.add (local.get $p0r) (local.get $j)) (f64.mul (local.get $vs) (local.get $a)))
        (f64.store (i32.add (local.get $p1r) (local.get $j)) (f64.mul (local.get $vs) (local.get $b)))
        (local.set $j (i32.add (local.get $j) (i32.const 8)))
        (br $sloop)))
    (global.set $reg (f64.add (global.get $reg) (local.get $ss))))

  ;; One pixel of the primal stationarity: r_x = λ(x − b) − dp, u = b + dy/λ; adds r_x² to $rx2,
  ;; (x − b)² to $data and dy·b + dy²/(2λ) to $gStar.
  (func $stationarityPixel (param $xp i32) (param $bp i32) (param $uq i32) (param $dp f64) (param $dy f64)
                           (param $lambda f64) (param $invL f64) (param $halfInvL f64)
    (local $bk f64) (local $dxb f64) (local $rx f64)
    (local.set $bk (f64.load (local.get $bp)))
    (local.set $dxb (f64.sub (f64.load (local.get $xp)) (local.get $bk)))
    (local.set $rx (f64.sub (f64.mul (local.get $lambda) (local.get $dxb)) (local.get $dp)))
    (global.set $rx2 (f64.add (global.get $rx2) (f64.mul (local.get $rx) (local.get $rx))))
    (global.set $data (f64.add (global.get $data) (f64.mul (local.get $dxb) (local.get $dxb))))
    (global.set $gStar (f64.add (global.get $gStar)
      (f64.add (f64.mul (local.get $dy) (local.get $bk)) (f64.mul (f64.mul (local.get $dy) (local.get $dy)) (local.get $halfInvL)))))
    (f64.store (local.get $uq) (f64.add (local.get $bk) (f64.mul (local.get $dy) (local.get $invL)))))

  ;; Primal stationarity on one row (see $stationarityPixel); div p and div y as in $div, with the
  ;; rows p1own/p1up and y1own/y1up of p1, y1 at i and i − 1 (or the zero row).
  (func $stationarityRow (param $xr i32) (param $br i32) (param $p0r i32) (param $p1own i32) (param $p1up i32)
                         (param $y0r i32) (param $y1own i32) (param $y1up i32) (param $ur i32) (param $n i32)
                         (param $lambda f64) (param $invL f64) (param $halfInvL f64)
    (local $j i32) (local $last i32)
    (local $dp v128) (local $dy v128) (local $bk v128) (local $dxb v128) (local $rx v128)
    (local $arx v128) (local $adat v128) (local $ags v128)
    (local $lambdav v128) (local $invLv v128) (local $halfInvLv v128)
    (local.set $last (i32.shl (i32.sub (local.get $n) (i32.const 1)) (i32.const 3)))
    (local.set $lambdav (f64x2.splat (local.get $lambda)))
    (local.set $invLv (f64x2.splat (local.get $invL)))
    (local.set $halfInvLv (f64x2.splat (local.get $halfInvL)))
    (call $stationarityPixel (local.get $xr) (local.get $br) (local.get $ur)
      (call $div (local.get $p0r) (local.get $p1own) (local.get $p1up) (i32.const 0) (local.get $last))
      (call $div (local.get $y0r) (local.get $y1own) (local.get $y1up) (i32.const 0) (local.get $last))
      (local.get $lambda) (local.get $invL) (local.get $halfInvL))
    (local.set $j (i32.const 8))
    (block $vdone
      (loop $vloop
        (br_if $vdone (i32.gt_u (i32.add (local.get $j) (i32.const 16)) (local.get $last)))
        (local.set $dp (f64x2.add
          (f64x2.sub (v128.load align=8 (i32.add (local.get $p0r) (local.get $j)))
                     (v128.load align=8 (i32.sub (i32.add (local.get $p0r) (local.get $j)) (i32.const 8))))
          (f64x2.sub (v128.load align=8 (i32.add (local.get $p1own) (local.get $j)))
                     (v128.load align=8 (i32.add (local.get $p1up) (local.get $j))))))
        (local.set $dy (f64x2.add
          (f64x2.sub (v128.load align=8 (i32.add (local.get $y0r) (local.get $j)))
                     (v128.load align=8 (i32.sub (i32.add (local.get $y0r) (local.get $j)) (i32.const 8))))
          (f64x2.sub (v128.load align=8 (i32.add (local.get $y1own) (local.get $j)))
                     (v128.load align=8 (i32.add (local.get $y1up) (local.get $j))))))
        (local.set $bk (v128.load align=8 (i32.add (local.get $br) (local.get $j))))
        (local.set $dxb (f64x2.sub (v128.load align=8 (i32.add (local.get $xr) (local.get $j))) (local.get $bk)))
        (local.set $rx (f64x2.sub (f64x2.mul (local.get $lambdav) (local.get $dxb)) (local.get $dp)))
        (local.set $arx (f64x2.add (local.get $arx) (f64x2.mul (local.get $rx) (local.get $rx))))
        (local.set $adat (f64x2.add (local.get $adat) (f64x2.mul (local.get $dxb) (local.get $dxb))))
        (local.set $ags (f64x2.add (local.get $ags) (f64x2.add (f64x2.mul (local.get $dy) (local.get $bk))
          (f64x2.mul (f64x2.mul (local.get $dy) (local.get $dy)) (local.get $halfInvLv)))))
        (v128.store align=8 (i32.add (local.get $ur) (local.get $j))
          (f64x2.add (local.get $bk) (f64x2.mul (local.get $dy) (local.get $invLv))))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $vloop)))
    (global.set $rx2 (f64.add (global.get $rx2) (call $hsum (local.get $arx))))
    (global.set $data (f64.add (global.get $data) (call $hsum (local.get $adat))))
    (global.set $gStar (f64.add (global.get $gStar) (call $hsum (local.get $ags))))
    (block $sdone
      (loop $sloop
        (br_if $sdone (i32.gt_u (local.get $j) (local.get $last)))
        (call $stationarityPixel
          (i32.add (local.get $xr) (local.get $j)) (i32.add (local.get $br) (local.get $j)) (i32.add (local.get $ur) (local.get $j))
          (call $div (local.get $p0r) (local.get $p1own) (local.get $p1up) (local.get $j) (local.get $last))
          (call $div (local.get $y0r) (local.get $y1own) (local.get $y1up) (local.get $j) (local.get $last))
          (local.get $lambda) (local.get $invL) (local.get $halfInvL))
        (local.set $j (i32.add (local.get $j) (i32.const 8)))
        (br $sloop))))

  ;; Dual stationarity on one row: s = κy − ∇u per pixel; on the boundary band ‖y‖² ≥ inner,
  ;; s ← s + l·y with l = max(0, −⟨s, y⟩/α²) (min-norm element of s + N_{‖·‖≤α}(y)); adds ‖s‖² to
  ;; $ry2 and ‖y‖² to $yy; raises $maxNorm2 to the largest ‖y_p‖² (NaN entries ignored).
  (func $dualStationarityRow (param $y0r i32) (param $y1r i32) (param $ur i32) (param $n i32) (param $dW i32)
                             (param $kappa f64) (param $invA2 f64) (param $inner f64)
    (local $j i32) (local $last i32)
    (local $a v128) (local $c v128) (local $u v128) (local $s0 v128) (local $s1 v128) (local $r2 v128) (local $l v128)
    (local $ary v128) (local $ayy v128) (local $mr2 v128)
    (local $as f64) (local $cs f64) (local $us f64) (local $t0 f64) (local $t1 f64) (local $q2 f64) (local $ls f64)
    (local $kappav v128) (local $invA2v v128) (local $innerv v128)
    (local.set $last (i32.shl (i32.sub (local.get $n) (i32.const 1)) (i32.const 3)))
    (local.set $kappav (f64x2.splat (local.get $kappa)))
    (local.set $invA2v (f64x2.splat (local.get $invA2)))
    (local.set $innerv (f64x2.splat (local.get $inner)))
    (block $vdone
      (loop $vloop
        (br_if $vdone (i32.gt_u (i32.add (local.get $j) (i32.const 16)) (local.get $last)))
        (local.set $a (v128.load align=8 (i32.add (local.get $y0r) (local.get $j))))
        (local.set $c (v128.load align=8 (i32.add (local.get $y1r) (local.get $j))))
        (local.set $u (v128.load align=8 (i32.add (local.get $ur) (local.get $j))))
        (local.set $s0 (f64x2.sub (f64x2.mul (local.get $kappav) (local.get $a))
          (f64x2.sub (v128.load align=8 (i32.add (i32.add (local.get $ur) (local.get $j)) (i32.const 8))) (local.get $u))))
        (local.set $s1 (f64x2.sub (f64x2.mul (local.get $kappav) (local.get $c))
          (f64x2.sub (v128.load align=8 (i32.add (i32.add (local.get $ur) (local.get $j)) (local.get $dW))) (local.get $u))))
        (local.set $r2 (f64x2.add (f64x2.mul (local.get $a) (local.get $a)) (f64x2.mul (local.get $c) (local.get $c))))
        (local.set $ayy (f64x2.add (local.get $ayy) (local.get $r2)))
        (local.set $l (v128.and
          (f64x2.pmax (f64x2.splat (f64.const 0))
            (f64x2.mul (f64x2.neg (f64x2.add (f64x2.mul (local.get $s0) (local.get $a)) (f64x2.mul (local.get $s1) (local.get $c)))) (local.get $invA2v)))
          (f64x2.ge (local.get $r2) (local.get $innerv))))
        (local.set $s0 (f64x2.add (local.get $s0) (f64x2.mul (local.get $l) (local.get $a))))
        (local.set $s1 (f64x2.add (local.get $s1) (f64x2.mul (local.get $l) (local.get $c))))
        (local.set $ary (f64x2.add (local.get $ary) (f64x2.add (f64x2.mul (local.get $s0) (local.get $s0)) (f64x2.mul (local.get $s1) (local.get $s1)))))
        (local.set $mr2 (f64x2.pmax (local.get $mr2) (local.get $r2)))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $vloop)))
    (global.set $ry2 (f64.add (global.get $ry2) (call $hsum (local.get $ary))))
    (global.set $yy (f64.add (global.get $yy) (call $hsum (local.get $ayy))))
    (global.set $maxNorm2 (f64.max (global.get $maxNorm2)
      (f64.max (f64x2.extract_lane 0 (local.get $mr2)) (f64x2.extract_lane 1 (local.get $mr2)))))
    (block $sdone
      (loop $sloop
        (br_if $sdone (i32.gt_u (local.get $j) (local.get $last)))
        (local.set $as (f64.load (i32.add (local.get $y0r) (local.get $j))))
        (local.set $cs (f64.load (i32.add (local.get $y1r) (local.get $j))))
        (local.set $us (f64.load (i32.add (local.get $ur) (local.get $j))))
        ;; the last column has no x-difference of u
        (local.set $t0 (f64.sub (f64.mul (local.get $kappa) (local.get $as))
          (select (f64.sub (f64.load offset=8 (i32.add (local.get $ur) (local.get $j))) (local.get $us)) (f64.const 0)
            (i32.lt_u (local.get $j) (local.get $last)))))
        (local.set $t1 (f64.sub (f64.mul (local.get $kappa) (local.get $cs))
          (f64.sub (f64.load (i32.add (i32.add (local.get $ur) (local.get $j)) (local.get $dW))) (local.get $us))))
        (local.set $q2 (f64.add (f64.mul (local.get $as) (local.get $as)) (f64.mul (local.get $cs) (local.get $cs))))
        (global.set $yy (f64.add (global.get $yy) (local.get $q2)))
        (local.set $ls (select
          (f64.max (f64.const 0) (f64.mul (f64.neg (f64.add (f64.mul (local.get $t0) (local.get $as)) (f64.mul (local.get $t1) (local.get $cs)))) (local.get $invA2)))
          (f64.const 0)
          (f64.ge (local.get $q2) (local.get $inner))))
        (local.set $t0 (f64.add (local.get $t0) (f64.mul (local.get $ls) (local.get $as))))
        (local.set $t1 (f64.add (local.get $t1) (f64.mul (local.get $ls) (local.get $cs))))
        (global.set $ry2 (f64.add (global.get $ry2) (f64.add (f64.mul (local.get $t0) (local.get $t0)) (f64.mul (local.get $t1) (local.get $t1)))))
        (global.set $maxNorm2 (select (local.get $q2) (global.get $maxNorm2) (f64.gt (local.get $q2) (global.get $maxNorm2))))
        (local.set $j (i32.add (local.get $j) (i32.const 8)))
        (br $sloop))))

  ;; The certificate sums of (x, y) in one sweep (see the row functions); x, y0, y1, b and the
  ;; zero row as in "step"; ring at 6 rows of scratch: p0, p1, u of rows i − 1 and i (row i at the
  ;; odd or even slot), so p and u never go to memory. Results: $reg, $rx2, $data, $gStar, $ry2,
  ;; $yy, $maxNorm2.
  (func (export "certificate") (param $C i32) (param $H i32) (param $W i32)
        (param $x i32) (param $y0 i32) (param $y1 i32) (param $b i32) (param $zero i32) (param $ring i32)
        (param $alpha f64) (param $epsilon f64) (param $aOverE f64) (param $e2 f64) (param $halfInvE f64)
        (param $lambda f64) (param $kappa f64) (param $invA2 f64) (param $inner f64)
    (local $ch i32) (local $i i32) (local $o i32) (local $row i32) (local $invL f64)
    (local $p0 i32) (local $p1 i32) (local $u i32) (local $uPrev i32) (local $back i32)
    (global.set $reg (f64.const 0)) (global.set $rx2 (f64.const 0)) (global.set $data (f64.const 0)) (global.set $gStar (f64.const 0))
    (global.set $ry2 (f64.const 0)) (global.set $yy (f64.const 0)) (global.set $maxNorm2 (f64.const 0))
    (local.set $invL (f64.div (f64.const 1) (local.get $lambda)))
    (local.set $row (i32.shl (local.get $W) (i32.const 3)))
    (block $cdone
      (loop $cloop
        (br_if $cdone (i32.ge_u (local.get $ch) (local.get $C)))
        (local.set $i (i32.const 0))
        (block $rdone
          (loop $rloop
            (br_if $rdone (i32.ge_u (local.get $i) (local.get $H)))
            ;; ring slots of row i; back = (slot of row i − 1) − (slot of row i), ±row
            (local.set $p0 (i32.add (local.get $ring) (i32.mul (i32.and (local.get $i) (i32.const 1)) (local.get $row))))
            (local.set $p1 (i32.add (local.get $p0) (i32.shl (local.get $row) (i32.const 1))))
            (local.set $u (i32.add (local.get $p0) (i32.shl (local.get $row) (i32.const 2))))
            (local.set $back (select (i32.sub (i32.const 0) (local.get $row)) (local.get $row) (i32.and (local.get $i) (i32.const 1))))
            (call $gradientRow
              (i32.add (local.get $x) (local.get $o)) (local.get $p0) (local.get $p1)
              (local.get $W)
              (select (local.get $row) (i32.const 0) (i32.lt_u (i32.add (local.get $i) (i32.const 1)) (local.get $H)))
              (local.get $alpha) (f64.mul (f64.const 0.5) (local.get $epsilon)) (local.get $aOverE) (local.get $e2) (local.get $halfInvE))
            ;; rows i − 1 of p1 (the other ring slot) and y1, or the zero row on the first row; rows i,
            ;; or the zero row on the last row
            (call $stationarityRow
              (i32.add (local.get $x) (local.get $o)) (i32.add (local.get $b) (local.get $o)) (local.get $p0)
              (select (local.get $p1) (local.get $zero) (i32.lt_u (i32.add (local.get $i) (i32.const 1)) (local.get $H)))
              (select (i32.add (local.get $p1) (local.get $back)) (local.get $zero) (i32.gt_u (local.get $i) (i32.const 0)))
              (i32.add (local.get $y0) (local.get $o))
              (select (i32.add (local.get $y1) (local.get $o)) (local.get $zero) (i32.lt_u (i32.add (local.get $i) (i32.const 1)) (local.get $H)))
              (select (i32.sub (i32.add (local.get $y1) (local.get $o)) (local.get $row)) (local.get $zero) (i32.gt_u (local.get $i) (i32.const 0)))
              (local.get $u) (local.get $W)
              (local.get $lambda) (local.get $invL) (f64.mul (f64.const 0.5) (local.get $invL)))
            (if (i32.gt_u (local.get $i) (i32.const 0))
              (then
                (local.set $uPrev (i32.add (local.get $u) (local.get $back)))
                (call $dualStationarityRow
                  (i32.sub (i32.add (local.get $y0) (local.get $o)) (local.get $row))
                  (i32.sub (i32.add (local.get $y1) (local.get $o)) (local.get $row))
                  (local.get $uPrev)
                  (local.get $W) (i32.sub (i32.const 0) (local.get $back))
                  (local.get $kappa) (local.get $invA2) (local.get $inner))))
            (local.set $o (i32.add (local.get $o) (local.get $row)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $rloop)))
        ;; the last row of the channel (no y-difference of u)
        (call $dualStationarityRow
          (i32.sub (i32.add (local.get $y0) (local.get $o)) (local.get $row))
          (i32.sub (i32.add (local.get $y1) (local.get $o)) (local.get $row))
          (local.get $u)
          (local.get $W) (i32.const 0)
          (local.get $kappa) (local.get $invA2) (local.get $inner))
        (local.set $ch (i32.add (local.get $ch) (i32.const 1)))
        (br $cloop)))
)
)
