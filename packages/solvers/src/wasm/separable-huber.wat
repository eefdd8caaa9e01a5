;; The sweeps of the fused separable-Huber kernel (float64, WebAssembly SIMD f64x2; the host is
;; `separable-huber-kernel.ts`): the two halves of one primal–dual update on a stack of one
;; member (PDHG) or two (PDHG and its piggyback adjoint), entry by entry.
;;
;; Problem: g(x) = (λ/2)‖x‖² − ⟨c, x⟩ + γ, f*(y) = Σ (ε/(2α)) y_i² + ι{|y_i| ≤ α}, the loss
;; (c_ℓ/2)‖x − x†‖²; K is applied by the host between the halves.
;;
;; Arrays are addressed in bytes; a stack holds its members `second` bytes apart, each padded to
;; an even length with entries the host keeps zero (inputs and data), so every sweep runs over
;; whole lane pairs: `pairs` = padded length / 2. The maps are those of the generic composition,
;; written without divisions where the dual ones allow (a clamp for the prox, 0 for the Jacobian
;; of an active entry): equal to rounding.
(module
  (import "env" "memory" (memory 1))

  ;; Sum of the two lanes.
  (func $hsum (param $v v128) (result f64)
    (f64.add (f64x2.extract_lane 0 (local.get $v)) (f64x2.extract_lane 1 (local.get $v))))

  ;; K x̄ = Kx + ϑ(Kx − Kx_prev), and w = y + σ K x̄.
  ;; @inline
  (func $w (param $y v128) (param $k v128) (param $kp v128) (param $sv v128) (param $th v128) (result v128)
    (f64x2.add (local.get $y) (f64x2.mul (local.get $sv)
      (f64x2.add (local.get $k) (f64x2.mul (local.get $th) (f64x2.sub (local.get $k) (local.get $kp)))))))

  ;; prox_{σf*}(w) = min(c, α/|w|)·w = clamp(c·w, −α, α) (no division; pmin/pmax are single
  ;; instructions where min/max need a sequence for signed zeros, and NaN still propagates from c·w).
  ;; @inline
  (func $prox (param $w v128) (param $cv v128) (param $av v128) (param $nav v128) (result v128)
    (f64x2.pmax (f64x2.pmin (f64x2.mul (local.get $cv) (local.get $w)) (local.get $av)) (local.get $nav)))

  ;; The dual half of PDHG on `pairs` lane pairs: y ← prox_{σf*}(y + σ K x̄) (kx, kxp: Kx, Kx_prev);
  ;; returns Σw.
  (func (export "dual") (param $y i32) (param $kx i32) (param $kxp i32) (param $pairs i32)
        (param $sigma f64) (param $theta f64) (param $alpha f64) (param $c f64) (result f64)
    (local $sv v128) (local $th v128) (local $cv v128) (local $av v128) (local $nav v128) (local $acc v128)
    (local $w v128) (local $k v128) (local $kp v128) (local $yv v128) (local $end i32)
    (local.set $sv (f64x2.splat (local.get $sigma)))
    (local.set $th (f64x2.splat (local.get $theta)))
    (local.set $cv (f64x2.splat (local.get $c)))
    (local.set $av (f64x2.splat (local.get $alpha)))
    (local.set $nav (f64x2.neg (local.get $av)))
    (local.set $end (i32.add (local.get $y) (i32.shl (local.get $pairs) (i32.const 4))))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $y) (local.get $end)))
      (local.set $yv (v128.load align=8 (local.get $y)))
      (local.set $k (v128.load align=8 (local.get $kx)))
      (local.set $kp (v128.load align=8 (local.get $kxp)))
      (local.set $w (call $w (local.get $yv) (local.get $k) (local.get $kp) (local.get $sv) (local.get $th)))
      (v128.store align=8 (local.get $y) (call $prox (local.get $w) (local.get $cv) (local.get $av) (local.get $nav)))
      (local.set $acc (f64x2.add (local.get $acc) (local.get $w)))
      (local.set $y (i32.add (local.get $y) (i32.const 16)))
      (local.set $kx (i32.add (local.get $kx) (i32.const 16)))
      (local.set $kxp (i32.add (local.get $kxp) (i32.const 16)))
      (br $l)))
    (call $hsum (local.get $acc)))

  ;; The dual halves of PDHG and of its adjoint on a stack of two (the adjoint's member `second`
  ;; bytes after PDHG's): y as `dual`, and Y ← J_{σf*}(w)[Y + σ K X̄] with PDHG's w: c·W where
  ;; c|w| ≤ α, else 0 (the constraint is active: the radial rule, exactly 0 in one dimension).
  ;; Returns Σ(w + W).
  (func (export "dualPair") (param $y i32) (param $kx i32) (param $kxp i32) (param $pairs i32) (param $second i32)
        (param $sigma f64) (param $theta f64) (param $alpha f64) (param $c f64) (result f64)
    (local $sv v128) (local $th v128) (local $cv v128) (local $av v128) (local $nav v128) (local $acc v128)
    (local $w v128) (local $W v128) (local $end i32)
    (local $yv v128) (local $k v128) (local $kp v128)
    (local.set $sv (f64x2.splat (local.get $sigma)))
    (local.set $th (f64x2.splat (local.get $theta)))
    (local.set $cv (f64x2.splat (local.get $c)))
    (local.set $av (f64x2.splat (local.get $alpha)))
    (local.set $nav (f64x2.neg (local.get $av)))
    (local.set $end (i32.add (local.get $y) (i32.shl (local.get $pairs) (i32.const 4))))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $y) (local.get $end)))
      (local.set $yv (v128.load align=8 (local.get $y)))
      (local.set $k (v128.load align=8 (local.get $kx)))
      (local.set $kp (v128.load align=8 (local.get $kxp)))
      (local.set $w (call $w (local.get $yv) (local.get $k) (local.get $kp) (local.get $sv) (local.get $th)))
      (v128.store align=8 (local.get $y) (call $prox (local.get $w) (local.get $cv) (local.get $av) (local.get $nav)))
      (local.set $yv (v128.load align=8 (i32.add (local.get $y) (local.get $second))))
      (local.set $k (v128.load align=8 (i32.add (local.get $kx) (local.get $second))))
      (local.set $kp (v128.load align=8 (i32.add (local.get $kxp) (local.get $second))))
      (local.set $W (call $w (local.get $yv) (local.get $k) (local.get $kp) (local.get $sv) (local.get $th)))
      (v128.store align=8 (i32.add (local.get $y) (local.get $second))
        (v128.and (f64x2.mul (local.get $cv) (local.get $W))
          (f64x2.le (f64x2.mul (local.get $cv) (f64x2.abs (local.get $w))) (local.get $av))))
      (local.set $acc (f64x2.add (local.get $acc) (f64x2.add (local.get $w) (local.get $W))))
      (local.set $y (i32.add (local.get $y) (i32.const 16)))
      (local.set $kx (i32.add (local.get $kx) (i32.const 16)))
      (local.set $kxp (i32.add (local.get $kxp) (i32.const 16)))
      (br $l)))
    (call $hsum (local.get $acc)))

  ;; prox_{τg}(x − τKᵀy) = (x − τKᵀy + τc)/(1 + τλ).
  ;; @inline
  (func $primalProx (param $x v128) (param $kt v128) (param $cj v128) (param $tv v128) (param $dv v128) (result v128)
    (f64x2.div (f64x2.add (f64x2.sub (local.get $x) (f64x2.mul (local.get $tv) (local.get $kt))) (f64x2.mul (local.get $tv) (local.get $cj)))
      (local.get $dv)))

  ;; The primal half of PDHG on `pairs` lane pairs: xNew ← prox_{τg}(xOld − τ Kᵀy) with
  ;; d = 1 + τλ; returns Σ(xNew − xOld)².
  (func (export "primal") (param $xo i32) (param $xn i32) (param $kt i32) (param $cg i32) (param $pairs i32)
        (param $tau f64) (param $d f64) (result f64)
    (local $tv v128) (local $dv v128) (local $acc v128) (local $x v128) (local $v v128) (local $k v128) (local $cj v128) (local $end i32)
    (local.set $tv (f64x2.splat (local.get $tau)))
    (local.set $dv (f64x2.splat (local.get $d)))
    (local.set $end (i32.add (local.get $xo) (i32.shl (local.get $pairs) (i32.const 4))))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $xo) (local.get $end)))
      (local.set $x (v128.load align=8 (local.get $xo)))
      (local.set $k (v128.load align=8 (local.get $kt)))
      (local.set $cj (v128.load align=8 (local.get $cg)))
      (local.set $v (call $primalProx (local.get $x) (local.get $k) (local.get $cj) (local.get $tv) (local.get $dv)))
      (v128.store align=8 (local.get $xn) (local.get $v))
      (local.set $v (f64x2.sub (local.get $v) (local.get $x)))
      (local.set $acc (f64x2.add (local.get $acc) (f64x2.mul (local.get $v) (local.get $v))))
      (local.set $xo (i32.add (local.get $xo) (i32.const 16)))
      (local.set $xn (i32.add (local.get $xn) (i32.const 16)))
      (local.set $kt (i32.add (local.get $kt) (i32.const 16)))
      (local.set $cg (i32.add (local.get $cg) (i32.const 16)))
      (br $l)))
    (call $hsum (local.get $acc)))

  ;; The primal halves of PDHG and of its adjoint (the adjoint's member `second` bytes after
  ;; PDHG's): x as `primal`, and X_new ← (X_old − τ(KᵀY + c_ℓ(x_old − x†)))/(1 + τλ) (the source
  ;; ∇ℓ at PDHG's x_old, target at $t). Returns Σ(xNew − xOld)².
  (func (export "primalPair") (param $xo i32) (param $xn i32) (param $kt i32) (param $cg i32) (param $t i32) (param $pairs i32)
        (param $second i32) (param $tau f64) (param $d f64) (param $scale f64) (result f64)
    (local $tv v128) (local $dv v128) (local $sc v128) (local $acc v128) (local $x v128) (local $v v128) (local $k v128) (local $cj v128) (local $end i32)
    (local.set $tv (f64x2.splat (local.get $tau)))
    (local.set $dv (f64x2.splat (local.get $d)))
    (local.set $sc (f64x2.splat (local.get $scale)))
    (local.set $end (i32.add (local.get $xo) (i32.shl (local.get $pairs) (i32.const 4))))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $xo) (local.get $end)))
      (local.set $x (v128.load align=8 (local.get $xo)))
      (local.set $k (v128.load align=8 (local.get $kt)))
      (local.set $cj (v128.load align=8 (local.get $cg)))
      (local.set $v (call $primalProx (local.get $x) (local.get $k) (local.get $cj) (local.get $tv) (local.get $dv)))
      (v128.store align=8 (local.get $xn) (local.get $v))
      (local.set $v (f64x2.sub (local.get $v) (local.get $x)))
      (local.set $acc (f64x2.add (local.get $acc) (f64x2.mul (local.get $v) (local.get $v))))
      (v128.store align=8 (i32.add (local.get $xn) (local.get $second))
        (f64x2.div
          (f64x2.sub (v128.load align=8 (i32.add (local.get $xo) (local.get $second)))
            (f64x2.mul (local.get $tv)
              (f64x2.add (v128.load align=8 (i32.add (local.get $kt) (local.get $second)))
                (f64x2.mul (local.get $sc) (f64x2.sub (local.get $x) (v128.load align=8 (local.get $t)))))))
          (local.get $dv)))
      (local.set $xo (i32.add (local.get $xo) (i32.const 16)))
      (local.set $xn (i32.add (local.get $xn) (i32.const 16)))
      (local.set $kt (i32.add (local.get $kt) (i32.const 16)))
      (local.set $cg (i32.add (local.get $cg) (i32.const 16)))
      (local.set $t (i32.add (local.get $t) (i32.const 16)))
      (br $l)))
    (call $hsum (local.get $acc)))

  ;; ---- certificate sweeps over the range (lane pairs; padding entries are zero and add 0) ----

  ;; out = ∇f(u) = αu/max(ε, |u|) = clamp((α/ε)u, −α, α).
  (func (export "huberGradient") (param $u i32) (param $out i32) (param $pairs i32) (param $slope f64) (param $alpha f64)
    (local $sv v128) (local $av v128) (local $nav v128) (local $end i32)
    (local.set $sv (f64x2.splat (local.get $slope)))
    (local.set $av (f64x2.splat (local.get $alpha)))
    (local.set $nav (f64x2.neg (local.get $av)))
    (local.set $end (i32.add (local.get $u) (i32.shl (local.get $pairs) (i32.const 4))))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $u) (local.get $end)))
      (v128.store align=8 (local.get $out)
        (f64x2.pmax (f64x2.pmin (f64x2.mul (local.get $sv) (v128.load align=8 (local.get $u))) (local.get $av)) (local.get $nav)))
      (local.set $u (i32.add (local.get $u) (i32.const 16)))
      (local.set $out (i32.add (local.get $out) (i32.const 16)))
      (br $l))))

  ;; ‖s_y‖² of (6b): s = κy − v (v = K∇g*(−Kᵀy)) where |y| < α(1 − 1e-10) or s·y ≥ 0 (on the
  ;; boundary the normal cone absorbs an s pointing outwards), +∞ when some |y| > α(1 + 1e-10).
  (func (export "dualStationarity") (param $y i32) (param $v i32) (param $pairs i32) (param $kappa f64) (param $inner f64) (param $outer f64) (result f64)
    (local $kv v128) (local $iv v128) (local $ov v128) (local $acc v128) (local $bad v128)
    (local $yv v128) (local $sv v128) (local $r v128) (local $end i32)
    (local.set $kv (f64x2.splat (local.get $kappa)))
    (local.set $iv (f64x2.splat (local.get $inner)))
    (local.set $ov (f64x2.splat (local.get $outer)))
    (local.set $end (i32.add (local.get $y) (i32.shl (local.get $pairs) (i32.const 4))))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $y) (local.get $end)))
      (local.set $yv (v128.load align=8 (local.get $y)))
      (local.set $sv (f64x2.sub (f64x2.mul (local.get $kv) (local.get $yv)) (v128.load align=8 (local.get $v))))
      (local.set $r (f64x2.abs (local.get $yv)))
      (local.set $bad (v128.or (local.get $bad) (f64x2.gt (local.get $r) (local.get $ov))))
      (local.set $acc (f64x2.add (local.get $acc)
        (v128.and (f64x2.mul (local.get $sv) (local.get $sv))
          (v128.or (f64x2.lt (local.get $r) (local.get $iv)) (f64x2.ge (f64x2.mul (local.get $sv) (local.get $yv)) (f64x2.splat (f64.const 0)))))))
      (local.set $y (i32.add (local.get $y) (i32.const 16)))
      (local.set $v (i32.add (local.get $v) (i32.const 16)))
      (br $l)))
    (if (result f64) (v128.any_true (local.get $bad)) (then (f64.const inf)) (else (call $hsum (local.get $acc)))))

  ;; Lemma 3 at the pair, the free entries |u| ≤ ε: a = (α/ε)·KX there (F KX), b = Y there (PY),
  ;; 0 elsewhere; returns ‖Y − PY‖².
  (func (export "freeSplit") (param $u i32) (param $KX i32) (param $Y i32) (param $a i32) (param $b i32) (param $pairs i32)
        (param $eps f64) (param $slope f64) (result f64)
    (local $ev v128) (local $sv v128) (local $acc v128) (local $free v128) (local $Yv v128) (local $end i32)
    (local.set $ev (f64x2.splat (local.get $eps)))
    (local.set $sv (f64x2.splat (local.get $slope)))
    (local.set $end (i32.add (local.get $u) (i32.shl (local.get $pairs) (i32.const 4))))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $u) (local.get $end)))
      (local.set $free (f64x2.le (f64x2.abs (v128.load align=8 (local.get $u))) (local.get $ev)))
      (local.set $Yv (v128.load align=8 (local.get $Y)))
      (v128.store align=8 (local.get $a) (v128.and (f64x2.mul (local.get $sv) (v128.load align=8 (local.get $KX))) (local.get $free)))
      (v128.store align=8 (local.get $b) (v128.and (local.get $Yv) (local.get $free)))
      (local.set $acc (f64x2.add (local.get $acc) (v128.andnot (f64x2.mul (local.get $Yv) (local.get $Yv)) (local.get $free))))
      (local.set $u (i32.add (local.get $u) (i32.const 16)))
      (local.set $KX (i32.add (local.get $KX) (i32.const 16)))
      (local.set $Y (i32.add (local.get $Y) (i32.const 16)))
      (local.set $a (i32.add (local.get $a) (i32.const 16)))
      (local.set $b (i32.add (local.get $b) (i32.const 16)))
      (br $l)))
    (call $hsum (local.get $acc)))

  ;; ‖P(a + κb)‖² over the free entries |u| ≤ ε (δ_Y of Lemma 3).
  (func (export "freeNorm") (param $u i32) (param $a i32) (param $b i32) (param $pairs i32) (param $eps f64) (param $kappa f64) (result f64)
    (local $ev v128) (local $kv v128) (local $acc v128) (local $t v128) (local $end i32)
    (local.set $ev (f64x2.splat (local.get $eps)))
    (local.set $kv (f64x2.splat (local.get $kappa)))
    (local.set $end (i32.add (local.get $u) (i32.shl (local.get $pairs) (i32.const 4))))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $u) (local.get $end)))
      (local.set $t (v128.and
        (f64x2.add (v128.load align=8 (local.get $a)) (f64x2.mul (local.get $kv) (v128.load align=8 (local.get $b))))
        (f64x2.le (f64x2.abs (v128.load align=8 (local.get $u))) (local.get $ev))))
      (local.set $acc (f64x2.add (local.get $acc) (f64x2.mul (local.get $t) (local.get $t))))
      (local.set $u (i32.add (local.get $u) (i32.const 16)))
      (local.set $a (i32.add (local.get $a) (i32.const 16)))
      (local.set $b (i32.add (local.get $b) (i32.const 16)))
      (br $l)))
    (call $hsum (local.get $acc))))
