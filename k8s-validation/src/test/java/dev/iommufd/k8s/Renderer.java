package dev.iommufd.k8s;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Renders a kustomization: with {@code kubectl kustomize} when kubectl is on PATH (the reference), otherwise
 * with {@link MiniKustomize}, which implements only the kustomize features k8s/ uses (and is compared with
 * kubectl's output whenever kubectl is there, see MiniKustomizeTest).
 */
final class Renderer {
    private Renderer() {}

    static final String KUBECTL = findKubectl();

    record Rendered(List<ObjectNode> docs, String by) {}

    static Rendered render(Path kustomization) {
        if (KUBECTL != null && !"true".equals(System.getProperty("k8s.validation.noKubectl"))) {
            return new Rendered(Yaml.documents(kubectl(kustomization)), "kubectl kustomize");
        }
        return new Rendered(MiniKustomize.render(kustomization), "built-in renderer (kubectl not on PATH, or -Dk8s.validation.noKubectl=true)");
    }

    private static final java.util.Map<Path, String> RENDERED = new java.util.concurrent.ConcurrentHashMap<>();

    /** kubectl kustomize's output (cached: the tests render each directory twice). */
    static String kubectl(Path kustomization) {
        return RENDERED.computeIfAbsent(kustomization.toAbsolutePath().normalize(), Renderer::runKubectl);
    }

    private static String runKubectl(Path kustomization) {
        try {
            Process p = new ProcessBuilder(KUBECTL, "kustomize", kustomization.toString())
                    .redirectErrorStream(false).start();
            byte[] out = p.getInputStream().readAllBytes();
            byte[] err = p.getErrorStream().readAllBytes();
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException("kubectl kustomize " + kustomization + " failed: " + new String(err, StandardCharsets.UTF_8));
            }
            return new String(out, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static String findKubectl() {
        String path = System.getenv("PATH");
        if (path == null) {
            return null;
        }
        for (String dir : path.split(java.io.File.pathSeparator)) {
            Path k = Path.of(dir, "kubectl");
            if (Files.isExecutable(k)) {
                return k.toString();
            }
        }
        return null;
    }
}
