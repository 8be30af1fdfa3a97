//! Personalised PageRank by power iteration over a small weighted directed graph (one
//! node per service): the random walk of MonitorRank (SIGMETRICS 2013). Owns the walk,
//! not what the weights mean.

/// How often the walk follows an edge rather than jumping back to the personalisation.
pub const DAMPING: f64 = 0.85;
const ITERATIONS: usize = 200;
const CONVERGED: f64 = 1e-12;

/// The walk's stationary visit share per node. `edges[u]` lists `(v, weight)`; weights
/// out of a node are normalised here, and a node with none jumps back. `personal` need
/// not sum to 1; all zero is taken as uniform.
pub fn personalised(edges: &[Vec<(usize, f64)>], personal: &[f64]) -> Vec<f64> {
    let n = personal.len();
    let total: f64 = personal.iter().sum();
    let jump: Vec<f64> = match total > 0.0 {
        true => personal.iter().map(|p| p / total).collect(),
        false => vec![1.0 / n.max(1) as f64; n],
    };
    let mut rank = jump.clone();
    for _ in 0..ITERATIONS {
        let mut next: Vec<f64> = jump.iter().map(|j| (1.0 - DAMPING) * j).collect();
        for (u, out) in edges.iter().enumerate() {
            let sum: f64 = out.iter().map(|(_, w)| w).sum();
            if sum <= 0.0 {
                // Nowhere to go: the walk restarts.
                next.iter_mut()
                    .zip(&jump)
                    .for_each(|(x, j)| *x += DAMPING * rank[u] * j);
                continue;
            }
            for &(v, w) in out {
                next[v] += DAMPING * rank[u] * w / sum;
            }
        }
        let change: f64 = next.iter().zip(&rank).map(|(a, b)| (a - b).abs()).sum();
        rank = next;
        if change < CONVERGED {
            break;
        }
    }
    rank
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_walk_settles_where_the_weights_lead_and_sums_to_one() {
        // 0 → 1 → 2, and 2 keeps the walk (a self loop).
        let edges = vec![vec![(1, 1.0)], vec![(2, 1.0)], vec![(2, 1.0)]];
        let rank = personalised(&edges, &[1.0, 0.0, 0.0]);
        assert!((rank.iter().sum::<f64>() - 1.0).abs() < 1e-9);
        assert!(rank[2] > rank[1] && rank[2] > rank[0], "{rank:?}");
    }

    #[test]
    fn a_node_without_edges_sends_the_walk_home() {
        let rank = personalised(&[vec![], vec![]], &[0.0, 0.0]);
        assert!((rank[0] - 0.5).abs() < 1e-9 && (rank[1] - 0.5).abs() < 1e-9);
    }
}
