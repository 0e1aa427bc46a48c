using Slip.Training.Cli;

return TrainCommand.Run(args);
