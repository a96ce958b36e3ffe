namespace MLNet.FineTune;
