using Slip.Training.Cli;

return SlipCli.Run(args);
