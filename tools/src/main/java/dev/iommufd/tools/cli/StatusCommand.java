package dev.iommufd.tools.cli;

import dev.iommufd.tools.launch.Service;
import dev.iommufd.tools.launch.ServiceLauncher;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

@Command(name = "status", description = "Show what runs: Kafka, PostgreSQL and each service's readiness.")
public class StatusCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        ServiceLauncher l = ServiceLauncher.forCli();
        return print(l) ? 0 : 3;
    }

    static boolean print(ServiceLauncher l) {
        System.out.println(l.infra().status());
        boolean all = true;
        for (Service s : Service.startOrder()) {
            boolean ready = l.ready(s);
            all &= ready;
            System.out.printf("%-14s %-24s %s%n", s.module(), l.url(s), ready ? "READY" : "DOWN");
        }
        return all;
    }
}
