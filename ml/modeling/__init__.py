"""Model candidates (Keras MLP, Keras Conv1D+LSTM) and the logistic baseline."""
