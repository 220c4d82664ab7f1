using Phoebe.Cli;

return PhoebeCli.Run(args, Console.Out, Console.Error);
