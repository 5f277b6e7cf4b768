"""Exercise name -> (module, one-line summary); modules are imported only when run."""

EXERCISES: dict[str, tuple[str, str]] = {
    "plant": (
        "labcoat.exercises.plant",
        "Plant-watering MDP: exact values, planning, Q-learning and Sarsa",
    ),
    "bandits": (
        "labcoat.exercises.bandits",
        "10-armed testbed: greedy, epsilon-greedy, optimistic, UCB, gradient",
    ),
    "treatment": (
        "labcoat.exercises.treatment",
        "The doctor's bandit: cumulative regret of each strategy",
    ),
    "reaction": (
        "labcoat.exercises.reaction",
        "Reaction optimization: agents vs random, grid, Nelder-Mead, BO",
    ),
    "heater": (
        "labcoat.exercises.heater",
        "Heater control: thermostat and PID vs semi-gradient Sarsa and SB3",
    ),
    "cliff": (
        "labcoat.exercises.cliff",
        "Cliff walking: Sarsa vs Q-learning (Sutton & Barto Example 6.6)",
    ),
    "random-walk": (
        "labcoat.exercises.random_walk",
        "TD(0) vs Monte Carlo; semi-gradient TD on the 1000-state walk",
    ),
}
