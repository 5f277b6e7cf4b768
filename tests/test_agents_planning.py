"""Planning: exact policy evaluation, value iteration and policy iteration against references.

References: the Bellman equations of the notes written out by hand from the plant env's
constructor arguments (eqs. 7.8-7.13) and solved with scipy, exhaustive search over the
deterministic policies, pymdptoolbox on random MDPs, and closed forms on Gymnasium's grids.
"""

import itertools

import gymnasium as gym
import mdptoolbox.mdp
import numpy as np
import pytest
import scipy.linalg
import scipy.sparse

import labcoat.envs  # noqa: F401  (registers the labcoat envs)
from labcoat.agents.planning import (
    TabularModel,
    bellman_backup,
    epsilon_soft,
    policy_evaluation,
    policy_iteration,
    proper_policy,
    value_iteration,
)
from labcoat.envs.plant_watering import PlantWateringEnv

PLANT_ARGS = dict(
    r_on=1.0, r_off=0.4, r_text=-1.5, r_fail=-6.0, alpha=0.7, alpha_prime=0.9, beta=0.6,
    beta_prime=0.85,
)  # fmt: skip
HIGH_ACTIONS, LOW_ACTIONS = (0, 1), (0, 1, 2)


def plant_policy_values(args, gamma, a_high, a_low):
    """v_pi(h), v_pi(l) of a deterministic plant policy: eqs. 7.8-7.9 generalized, by hand."""
    a, ap, b, bp = args["alpha"], args["alpha_prime"], args["beta"], args["beta_prime"]
    r_on, r_off, r_text, r_fail = args["r_on"], args["r_off"], args["r_text"], args["r_fail"]
    stay_high, r_high = (a, r_on) if a_high == 0 else (ap, r_off)
    # v(h) = r + gamma [p v(h) + (1 - p) v(l)]                                    (eq. 7.8)
    row_h, rhs_h = [1 - gamma * stay_high, -gamma * (1 - stay_high)], r_high
    if a_low == 2:  # v(l) = r_text + gamma v(h)                                   (eq. 7.13)
        row_l, rhs_l = [-gamma, 1.0], r_text
    else:  # v(l) = b [r + gamma v(l)] + (1 - b) [r_fail + gamma v(h)]             (eq. 7.9)
        stay_low, r_low = (b, r_on) if a_low == 0 else (bp, r_off)
        row_l = [-gamma * (1 - stay_low), 1 - gamma * stay_low]
        rhs_l = stay_low * r_low + (1 - stay_low) * r_fail
    return scipy.linalg.solve(np.array([row_h, row_l]), np.array([rhs_h, rhs_l]))


def plant_optimality_residual(args, gamma, v):
    """Residual of the Bellman optimality equations 7.12-7.13 at v = (v(h), v(l))."""
    a, ap, b, bp = args["alpha"], args["alpha_prime"], args["beta"], args["beta_prime"]
    r_on, r_off, r_text, r_fail = args["r_on"], args["r_off"], args["r_text"], args["r_fail"]
    vh, vl = v
    high = max(
        r_on + gamma * (a * vh + (1 - a) * vl),
        r_off + gamma * (ap * vh + (1 - ap) * vl),
    )
    low = max(
        b * (r_on + gamma * vl) + (1 - b) * (r_fail + gamma * vh),
        bp * (r_off + gamma * vl) + (1 - bp) * (r_fail + gamma * vh),
        r_text + gamma * vh,
    )
    return np.abs(np.array([high, low]) - v).max()


@pytest.fixture(scope="module")
def plant_model():
    return TabularModel.from_env(PlantWateringEnv(**PLANT_ARGS))


@pytest.mark.parametrize("gamma", [0.3, 0.9, 0.99])
def test_plant_every_policy_matches_the_hand_written_bellman_equations(plant_model, gamma):
    values = {}
    for a_high, a_low in itertools.product(HIGH_ACTIONS, LOW_ACTIONS):
        expected = plant_policy_values(PLANT_ARGS, gamma, a_high, a_low)
        policy = np.array([a_high, a_low])
        np.testing.assert_allclose(
            policy_evaluation(plant_model, policy, gamma), expected, atol=1e-8
        )
        iterative = policy_evaluation(plant_model, policy, gamma, method="iterative", tol=1e-10)
        np.testing.assert_allclose(iterative, expected, atol=1e-9)
        values[(a_high, a_low)] = expected
    best = max(values, key=lambda k: values[k].sum())
    v_star = np.max(np.array(list(values.values())), axis=0)  # exhaustive search
    np.testing.assert_allclose(values[best], v_star, atol=1e-12)  # one policy is best everywhere
    vi = value_iteration(plant_model, gamma, tol=1e-10)
    pi = policy_iteration(plant_model, gamma)
    for result in (vi, pi):
        np.testing.assert_allclose(result.v, v_star, atol=1e-8)
        assert plant_optimality_residual(PLANT_ARGS, gamma, result.v) < 1e-8
        assert tuple(result.policy) == best
        assert result.q[0, 2] == -np.inf  # text is not available in high


def test_plant_model_arrays_follow_the_transition_graph(plant_model):
    a, ap, b, bp = (PLANT_ARGS[k] for k in ("alpha", "alpha_prime", "beta", "beta_prime"))
    np.testing.assert_allclose(plant_model.T[0, 0], [a, 1 - a])
    np.testing.assert_allclose(plant_model.T[1, 1], [1 - bp, bp])
    np.testing.assert_allclose(plant_model.T[1, 2], [1, 0])
    r_fail = PLANT_ARGS["r_fail"]
    np.testing.assert_allclose(plant_model.R[1, 0], b * PLANT_ARGS["r_on"] + (1 - b) * r_fail)
    assert plant_model.valid_actions.tolist() == [[True, True, False], [True, True, True]]
    assert not plant_model.terminal.any()


def test_stochastic_policy_evaluation_matches_a_direct_solve(plant_model):
    gamma, epsilon = 0.8, 0.3
    pi = epsilon_soft(plant_model, np.array([1, 2]), epsilon)
    np.testing.assert_allclose(pi.sum(axis=1), 1.0)
    assert pi[0, 2] == 0.0 and pi[0, 1] == pytest.approx(1 - epsilon / 2)
    P = np.einsum("sa,sat->st", pi, plant_model.T)
    r = (pi * plant_model.R).sum(axis=1)
    expected = scipy.linalg.solve(np.eye(2) - gamma * P, r)
    np.testing.assert_allclose(policy_evaluation(plant_model, pi, gamma), expected, atol=1e-12)


def random_mdp(seed, n_states, n_actions):
    rng = np.random.default_rng(seed)
    T = rng.random((n_states, n_actions, n_states)) ** 4  # uneven rows
    T /= T.sum(axis=2, keepdims=True)
    R = rng.normal(size=(n_states, n_actions))
    return T, R


@pytest.mark.parametrize(("seed", "gamma"), [(0, 0.9), (1, 0.95), (2, 0.5)])
def test_value_and_policy_iteration_agree_with_pymdptoolbox(seed, gamma):
    T, R = random_mdp(seed, 30, 4)
    model = TabularModel(T=T, R=R, terminal=False, valid_actions=True)
    P = T.transpose(1, 0, 2)  # pymdptoolbox: (A, S, S)
    reference = mdptoolbox.mdp.PolicyIteration(P, R, gamma)
    reference.run()
    reference_vi = mdptoolbox.mdp.ValueIteration(P, R, gamma, epsilon=1e-12, max_iter=100_000)
    reference_vi.run()
    ours_pi = policy_iteration(model, gamma)
    ours_vi = value_iteration(model, gamma, tol=1e-9)
    np.testing.assert_allclose(ours_pi.v, reference.V, atol=1e-8)
    np.testing.assert_allclose(ours_vi.v, reference.V, atol=1e-8)
    assert ours_pi.policy.tolist() == list(reference.policy) == list(reference_vi.policy)
    assert ours_vi.policy.tolist() == list(reference.policy)


@pytest.mark.parametrize("tol", [1e-2, 1e-5, 1e-8])
def test_value_iteration_meets_its_guaranteed_accuracy(tol):
    T, R = random_mdp(3, 40, 3)
    model = TabularModel(T=T, R=R, terminal=False, valid_actions=True)
    gamma = 0.99
    exact = policy_iteration(model, gamma).v
    result = value_iteration(model, gamma, tol=tol)
    assert np.abs(result.v - exact).max() <= tol
    # the contraction bound holds along the way: a single sweep from 0 is within gamma ||v*||
    first = value_iteration(model, gamma, tol=1e6, max_iterations=1)
    assert first.n_iterations == 1


def test_bellman_backup_is_the_q_of_eq_7_15():
    T, R = random_mdp(4, 6, 2)
    model = TabularModel(T=T, R=R, terminal=False, valid_actions=True)
    v = np.arange(6.0)
    q = bellman_backup(model, v, 0.7)
    for s, a in itertools.product(range(6), range(2)):
        assert q[s, a] == pytest.approx(R[s, a] + 0.7 * sum(T[s, a, t] * v[t] for t in range(6)))


def test_cliff_walking_gamma_one_shortest_path():
    model = TabularModel.from_env(gym.make("CliffWalking-v1"))
    assert model.terminal.nonzero()[0].tolist() == [47]
    vi = value_iteration(model, 1.0, tol=1e-12)
    pi = policy_iteration(model, 1.0)
    # 13 steps of -1 along the cliff edge (policy iteration's linear solve rounds)
    assert vi.v[36] == pytest.approx(-13.0, abs=1e-9) and pi.v[36] == pytest.approx(-13.0, abs=1e-9)
    np.testing.assert_allclose(vi.v, pi.v)
    # row 2 (just above the cliff) is |col - 11| + 1 steps from the goal
    np.testing.assert_allclose(pi.v[24:36], -(np.abs(np.arange(12) - 11) + 1))


def test_frozen_lake_gamma_one_is_the_success_probability():
    model = TabularModel.from_env(gym.make("FrozenLake-v1"))
    assert sorted(model.terminal.nonzero()[0].tolist()) == [5, 7, 11, 12, 15]
    vi = value_iteration(model, 1.0, tol=1e-12)
    pi = policy_iteration(model, 1.0)
    np.testing.assert_allclose(vi.v, pi.v, atol=1e-9)
    # the success probability of the optimal policy, by the absorbing chain's fundamental
    # matrix built from P directly: b = (I - Q)^-1 r_goal, Q among non-terminal states
    P = gym.make("FrozenLake-v1").unwrapped.P
    live = [s for s in range(16) if s not in (5, 7, 11, 12, 15)]
    Q = np.zeros((16, 16))
    r_goal = np.zeros(16)
    for s in live:
        for prob, s_next, reward, _ in P[s][int(pi.policy[s])]:
            Q[s, s_next] += prob if s_next in live else 0.0
            r_goal[s] += prob * reward
    b = scipy.linalg.solve(np.eye(len(live)) - Q[np.ix_(live, live)], r_goal[live])
    np.testing.assert_allclose(pi.v[live], b, atol=1e-10)
    assert pi.v[0] == pytest.approx(14 / 17, abs=1e-10)
    start = proper_policy(model)
    policy_evaluation(model, start, 1.0)  # proper: solvable


def test_improper_policy_with_gamma_one_is_rejected():
    model = TabularModel.from_env(gym.make("CliffWalking-v1"))
    always_up = np.zeros(48, dtype=int)
    with pytest.raises(ValueError, match="never reaches a terminal state"):
        policy_evaluation(model, always_up, 1.0)
    assert np.isfinite(policy_evaluation(model, always_up, 0.9)).all()


def test_taxi_model_and_planning():
    model = TabularModel.from_env(gym.make("Taxi-v4"))
    assert model.T.shape == (500, 6, 500) and model.terminal.sum() == 4
    np.testing.assert_allclose(model.T.sum(axis=2), 1.0)
    pi = policy_iteration(model, 0.95)
    vi = value_iteration(model, 0.95, tol=1e-9)
    np.testing.assert_allclose(vi.v, pi.v, atol=1e-8)
    residual = np.max(bellman_backup(model, pi.v, 0.95), axis=1) - pi.v
    assert np.abs(residual).max() < 1e-9  # eq. 7.11 holds


def test_bad_inputs_name_the_argument(plant_model):
    with pytest.raises(ValueError, match="gamma"):
        value_iteration(plant_model, 1.5)
    with pytest.raises(ValueError, match="tol"):
        value_iteration(plant_model, 0.9, tol=0.0)
    with pytest.raises(ValueError, match="not available in state 0"):
        policy_evaluation(plant_model, np.array([2, 0]), 0.9)
    with pytest.raises(ValueError, match="policy"):
        policy_evaluation(plant_model, np.array([0, 0, 0]), 0.9)
    with pytest.raises(ValueError, match="T must"):
        TabularModel(T=np.ones((2, 1, 2)), R=np.zeros((2, 1)), terminal=False, valid_actions=True)
    with pytest.raises(TypeError, match="transition table P"):
        TabularModel.from_env(gym.make("CartPole-v1"))


@pytest.mark.parametrize("make", [
    lambda: gym.make("labcoat/PlantWatering-v0"),
    lambda: gym.make("labcoat/RandomWalk-v0", size=7, max_jump=3),
])  # fmt: skip
def test_batched_outcomes_and_the_envs_sampler_draw_the_same_transition(make):
    """One inverse-CDF rule: Outcomes.sample (batched runs) and the env's step sampler agree."""
    env = make().unwrapped
    model = TabularModel.from_env(env)
    states, actions = np.nonzero(model.valid_actions)
    u = np.random.default_rng(0).random((50, states.size))
    for row in u:
        next_state, reward, terminated = model.outcomes.sample(states, actions, row)
        for i, (s, a) in enumerate(zip(states, actions, strict=True)):
            expected = env._sampler.sample(int(s), int(a), float(row[i]))
            assert next_state[i] == expected.next_state and terminated[i] == expected.terminated
            assert reward[i] == pytest.approx(expected.reward)


def random_sparse_mdp(n_states, n_actions, seed):
    """A random MDP with three successors per (s, a): sparse (S*A, S) matrix and rewards."""
    rng = np.random.default_rng(seed)
    rows = np.repeat(np.arange(n_states * n_actions), 3)
    cols = rng.integers(0, n_states, rows.size)
    probs = rng.dirichlet(np.ones(3), n_states * n_actions).ravel()
    T = scipy.sparse.csr_matrix((probs, (rows, cols)), shape=(n_states * n_actions, n_states))
    return T, rng.normal(size=(n_states, n_actions))


def test_sparse_and_dense_T_give_the_same_solutions():
    T, R = random_sparse_mdp(300, 3, seed=0)
    terminal = np.zeros(300, dtype=bool)
    terminal[:5] = True
    sparse = TabularModel(T=T, R=R, terminal=terminal, valid_actions=True)
    dense = TabularModel(T=T.toarray().reshape(300, 3, 300), R=R, terminal=terminal,
                         valid_actions=True)  # fmt: skip
    assert scipy.sparse.issparse(sparse._backup_matrix)  # 1% dense: the sparse path
    np.testing.assert_allclose(sparse.T, dense.T)
    for model in (sparse, dense):
        result = value_iteration(model, 0.9, tol=1e-10)
        v_pi = policy_evaluation(model, result.policy, 0.9)
        np.testing.assert_allclose(result.v, v_pi, atol=1e-9)
    np.testing.assert_allclose(
        value_iteration(sparse, 0.9).v, value_iteration(dense, 0.9).v, atol=1e-7
    )
    np.testing.assert_array_equal(
        policy_iteration(sparse, 0.9).policy, policy_iteration(dense, 0.9).policy
    )


def test_dense_model_backs_up_on_the_users_array_with_masks_applied():
    T, R = random_mdp(5, 300, 3)
    valid = np.ones((300, 3), dtype=bool)
    valid[10:40, 1] = False
    T[10:40, 1] = 7.0  # rows of unavailable actions are ignored, whatever they hold
    original = T.copy()
    terminal = np.zeros(300, dtype=bool)
    terminal[[3, 150, 299]] = True
    model = TabularModel(T=T, R=R, terminal=terminal, valid_actions=valid)
    assert model.T is T and "transitions" not in model.__dict__  # no copy, no CSR yet
    result = value_iteration(model, 0.9, tol=1e-10)
    # by hand: v_pi of the greedy policy from (I - gamma P_pi) v = r_pi on the live states
    live = np.flatnonzero(~terminal)
    P_pi = T[np.arange(300), result.policy][np.ix_(live, live)]
    v = np.zeros(300)
    v[live] = np.linalg.solve(np.eye(live.size) - 0.9 * P_pi, R[live, result.policy[live]])
    np.testing.assert_allclose(result.v, v, atol=1e-9)
    q = np.where(valid, R + 0.9 * np.einsum("sat,t->sa", T, v), -np.inf)
    np.testing.assert_allclose(result.q[live], q[live], atol=1e-9)
    assert np.all(q[live, result.policy[live]] >= q[live].max(axis=1) - 1e-9)
    np.testing.assert_array_equal(model.transitions.toarray(), original.reshape(900, 300))
    np.testing.assert_array_equal(T, original)
    with pytest.raises(ValueError, match="rows sum to 1"):
        TabularModel(T=-original, R=R, terminal=terminal, valid_actions=valid)


def test_sparse_model_refuses_bad_shapes_and_rows():
    T, R = random_sparse_mdp(10, 2, seed=1)
    with pytest.raises(ValueError, match="sparse T must have shape"):
        TabularModel(T=T[:-1], R=R, terminal=False, valid_actions=True)
    with pytest.raises(ValueError, match="rows sum to 1"):
        TabularModel(T=T * 0.5, R=R, terminal=False, valid_actions=True)


def test_model_is_read_only():
    T, R = random_sparse_mdp(10, 2, seed=2)
    model = TabularModel(T=T, R=R, terminal=False, valid_actions=True)
    with pytest.raises(AttributeError, match="read-only"):
        model.R = R
    with pytest.raises(ValueError):
        model.R[0, 0] = 1.0


def test_batched_outcome_table_of_a_sparse_model_has_one_outcome_per_non_zero():
    from labcoat.agents.batched import _outcomes

    T, R = random_sparse_mdp(300, 3, seed=4)
    terminal = np.zeros(300, dtype=bool)
    terminal[7] = True
    model = TabularModel(T=T, R=R, terminal=terminal, valid_actions=True)
    table = _outcomes(model)
    assert table.prob.shape == (300, 3, T.getnnz(axis=1).max())  # not (300, 3, 300)
    dense = np.zeros((300, 3, 300))
    s, a, k = np.nonzero(table.prob)
    np.add.at(dense, (s, a, table.next_state[s, a, k]), table.prob[s, a, k])
    np.testing.assert_allclose(dense, model.T, atol=1e-15)
    np.testing.assert_array_equal(table.terminated, terminal[table.next_state])
    np.testing.assert_allclose(table.reward, np.broadcast_to(R[:, :, None], table.prob.shape))
    u = np.random.default_rng(5).random(20_000)
    next_states, _, _ = table.sample(np.zeros(u.size, dtype=int), np.ones(u.size, dtype=int), u)
    frequencies = np.bincount(next_states, minlength=300) / u.size
    np.testing.assert_allclose(frequencies, model.T[0, 1], atol=0.02)
