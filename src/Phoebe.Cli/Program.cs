using Phoebe.Cli;

ManagedHandOff.Arguments = args;
if (ManagedHandOff.NeededFor(args)) return ManagedHandOff.Exec(Console.Error);
return PhoebeCli.Run(args, Console.Out, Console.Error);
