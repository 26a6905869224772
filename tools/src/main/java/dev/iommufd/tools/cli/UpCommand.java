package dev.iommufd.tools.cli;

import dev.iommufd.tools.launch.Service;
import dev.iommufd.tools.launch.ServiceLauncher;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

@Command(name = "up", description = "Start Kafka, PostgreSQL and the four services; wait until ready; print the URLs.")
public class UpCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        ServiceLauncher l = ServiceLauncher.forCli();
        System.out.println("starting Kafka, PostgreSQL and the services (logs in " + l.infra().runDir().resolve("logs") + ") ...");
        l.up();
        StatusCommand.print(l);
        return 0;
    }
}
