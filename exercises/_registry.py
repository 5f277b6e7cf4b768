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
    "reaction-pareto": (
        "labcoat.exercises.reaction_pareto",
        "Yield vs cost: each method's Pareto front against the exact one (hypervolume)",
    ),
    "heater": (
        "labcoat.exercises.heater",
        "Heater control: thermostat and PID vs semi-gradient Sarsa and SB3",
    ),
    "cliff": (
        "labcoat.exercises.cliff",
        "Cliff walking: Sarsa vs Q-learning (Sutton & Barto Example 6.6)",
    ),
    "control": (
        "labcoat.exercises.control",
        "LQR: value iteration, LSPI, policy gradients, CEM/ES vs Riccati; dt -> 0",
    ),
    "random-walk": (
        "labcoat.exercises.random_walk",
        "TD(0) vs Monte Carlo; semi-gradient TD on the 1000-state walk",
    ),
    "dqn": (
        "labcoat.exercises.dqn",
        "Deep Q-learning from labcoat's parts vs Stable-Baselines3's DQN",
    ),
    "digits": (
        "labcoat.exercises.digits",
        "Digits: a dense network against a CNN, with metrics and confusion matrix",
    ),
    "adversarial": (
        "labcoat.exercises.adversarial",
        "Adversarial examples (FGSM, the notes' iterated attack) and dreaming",
    ),
    "rbm": (
        "labcoat.exercises.rbm",
        "Restricted Boltzmann machine on bars-and-stripes: CD-k, exact likelihood",
    ),
    "generative-ising": (
        "labcoat.exercises.generative_ising",
        "Generative models scored by exact KL on the 4×4 Ising model and bars-and-stripes",
    ),
    "vae": (
        "labcoat.exercises.vae",
        "Variational autoencoder on digits: reconstructions, latent space, samples",
    ),
    "gan": (
        "labcoat.exercises.gan",
        "Generative adversarial network on a 1-D mixture: saturating vs non-saturating loss",
    ),
    "digits-generative": (
        "labcoat.exercises.digits_generative",
        "DDPM and convolutional GAN on the digits, scored by a Fréchet distance",
    ),
    "molecules": (
        "labcoat.exercises.molecules",
        "Molecules as SMILES: the notes' sequence generator, validity, uniqueness, novelty",
    ),
    "ising": (
        "labcoat.exercises.ising",
        "2-D Ising model: Metropolis samples, PCA finds the magnetization, phases",
    ),
    "pca": ("labcoat.exercises.pca", "PCA on iris and on Ising configurations"),
    "kmeans": (
        "labcoat.exercises.kmeans",
        "k-means: Lloyd iterations, k-means++ and the objective",
    ),
    "tsne": ("labcoat.exercises.tsne", "t-SNE of the digits"),
    "arm": (
        "labcoat.exercises.arm",
        "Robot arm collecting samples: value iteration's tour vs Q-learning",
    ),
    "qec": (
        "labcoat.exercises.qec",
        "Toric code: DQN agent vs minimum-weight matching vs no correction",
    ),
    "regression": (
        "labcoat.exercises.regression",
        "Diabetes: OLS statistics, ridge, the lasso path",
    ),
}
