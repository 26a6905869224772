package dev.iommufd.tools.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

@Command(name = "iommuctl", mixinStandardHelpOptions = true, version = "iommuctl 0.1.0",
        description = "Runs the iommufd model locally: infrastructure, services and a guided demo.",
        subcommands = {UpCommand.class, DownCommand.class, StatusCommand.class, DemoCommand.class, LoadCommand.class, ReplayCommand.class})
public class Iommuctl implements Runnable {
    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new Iommuctl()).execute(args));
    }
}
