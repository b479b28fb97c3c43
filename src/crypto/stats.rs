//! Small statistics helpers for checking simulated failure rates against their exact values.

/// Equal-tailed binomial interval: `(lo, hi)` where `lo` is the `(1-conf)/2` quantile and `hi`
/// the `(1+conf)/2` quantile of Binomial(n, p), computed from the exact probability mass
/// function (in log space, so large `n` does not underflow). `Pr[lo <= X <= hi] >= conf`.
///
/// Terms more than 12 standard deviations (plus a margin) from the mean are ignored; their
/// total mass is below 1e-30.
pub fn binomial_interval(n: u64, p: f64, conf: f64) -> (u64, u64) {
    if n == 0 || p.is_nan() || p <= 0.0 {
        return (0, 0);
    }
    if p >= 1.0 {
        return (n, n);
    }
    let conf = conf.clamp(0.0, 1.0);
    let alpha = (1.0 - conf) / 2.0;
    let nf = n as f64;
    let mean = nf * p;
    let sd = (nf * p * (1.0 - p)).sqrt();
    let width = 12.0 * sd + 40.0;
    // Both are whole numbers ≥ 0 (p is in (0, 1) here, so mean ≥ 0 and width > 0): the
    // conversion is exact below 2^64; above, `as` saturates and `min(n)` clamps k_hi (k_lo is
    // below mean ≤ n).
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let (k_lo, k_hi) = (
        (mean - width).floor().max(0.0) as u64,
        ((mean + width).ceil() as u64).min(n),
    );

    // ln pmf(k) = ln C(n,k) + k ln p + (n-k) ln(1-p), with ln C(n,k) by the recurrence
    // ln C(n,k+1) = ln C(n,k) + ln((n-k)/(k+1)), started from ln pmf(0).
    let lp = p.ln();
    let lq = (-p).ln_1p();
    let mut log_pmf = nf * lq;
    let mut k = 0u64;
    // Advance to k_lo (O(k_lo) cheap steps).
    while k < k_lo {
        log_pmf += ((n - k) as f64).ln() - ((k + 1) as f64).ln() + lp - lq;
        k += 1;
    }
    // Only a capacity hint: k_hi - k_lo ≤ 2 * width + 1 fits usize on 64-bit targets.
    let mut logs = Vec::with_capacity(usize::try_from(k_hi - k_lo + 1).unwrap_or(0));
    loop {
        logs.push(log_pmf);
        if k >= k_hi {
            break;
        }
        log_pmf += ((n - k) as f64).ln() - ((k + 1) as f64).ln() + lp - lq;
        k += 1;
    }
    let max = logs.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let weights: Vec<f64> = logs.iter().map(|l| (l - max).exp()).collect();
    let total: f64 = weights.iter().sum();

    let mut cdf = 0.0;
    let mut lo = None;
    let mut hi = k_hi;
    for (i, w) in weights.iter().enumerate() {
        cdf += w / total;
        let kk = k_lo + i as u64;
        if lo.is_none() && cdf >= alpha {
            lo = Some(kk);
        }
        if cdf >= 1.0 - alpha - 1e-12 {
            hi = kk;
            break;
        }
    }
    (lo.unwrap_or(k_lo), hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exact_pmf(n: u64, p: f64, k: u64) -> f64 {
        let mut c = 1.0f64;
        for i in 0..k {
            c = c * (n - i) as f64 / (i + 1) as f64;
        }
        let exp = |e: u64| i32::try_from(e).expect("test exponents are small");
        c * p.powi(exp(k)) * (1.0 - p).powi(exp(n - k))
    }

    #[test]
    fn small_exact_case() {
        // Binomial(10, 1/2): CDF(1)=0.0107, CDF(2)=0.0547, CDF(7)=0.9453, CDF(8)=0.9893.
        assert_eq!(binomial_interval(10, 0.5, 0.9), (2, 8));
        assert_eq!(binomial_interval(10, 0.0, 0.9), (0, 0));
        assert_eq!(binomial_interval(10, 1.0, 0.9), (10, 10));
        assert_eq!(binomial_interval(0, 0.5, 0.9), (0, 0));
    }

    #[test]
    fn coverage_and_normal_agreement() {
        let (n, p) = (20_000u64, 1.0 / 256.0);
        let (lo, hi) = binomial_interval(n, p, 0.999);
        let cover: f64 = (lo..=hi).map(|k| exact_pmf(n, p, k)).sum();
        assert!(cover >= 0.999, "{cover}");
        // Normal approximation: mean 78.1, sd 8.82, z = 3.2905 -> about [49, 107].
        let mean = n as f64 * p;
        let sd = (mean * (1.0 - p)).sqrt();
        assert!((lo as f64 - (mean - 3.2905 * sd)).abs() < 4.0, "{lo}");
        assert!((hi as f64 - (mean + 3.2905 * sd)).abs() < 4.0, "{hi}");
        // Large n does not underflow.
        let (lo, hi) = binomial_interval(10_000_000, 0.3, 0.99);
        assert!(lo < 3_000_000 && hi > 3_000_000 && hi - lo < 10_000);
    }
}
