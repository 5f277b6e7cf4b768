"""labcoat's classic methods (numpy/scipy): PCA, kernel PCA, t-SNE, k-means, regression, SVM."""
