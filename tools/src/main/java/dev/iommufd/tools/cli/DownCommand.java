package dev.iommufd.tools.cli;

import dev.iommufd.tools.launch.ServiceLauncher;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "down", description = "Stop the services, then Kafka and PostgreSQL (data is kept in .run/).")
public class DownCommand implements Callable<Integer> {
    @Option(names = "--keep-infra", description = "stop only the services")
    boolean keepInfra;

    @Option(names = "--all", description = "also stop the tests' own Kafka and PostgreSQL (.run/test), which mvn verify leaves running")
    boolean all;

    @Override
    public Integer call() {
        ServiceLauncher.forCli().down(!keepInfra, all && !keepInfra);
        System.out.println(keepInfra ? "services stopped"
                : all ? "services, Kafka and PostgreSQL stopped (also the tests')" : "services, Kafka and PostgreSQL stopped");
        return 0;
    }
}
