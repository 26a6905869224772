package dev.iommufd.ioas.context;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.iommufd.contract.api.Errno;
import dev.iommufd.contract.api.ErrnoException;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.LockModeType;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * Loads a context's state, lets pure-Java code work on it, stores it back: all in one transaction
 * holding the context's row lock. An exception anywhere rolls everything back, so a refused call
 * changes nothing; concurrent calls on one context are serialised by the lock.
 */
@ApplicationScoped
public class ContextStore {
    private static final ObjectMapper JSON = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    /** Read-only work on a consistent snapshot. */
    public <R> Uni<R> read(String ctx, Function<ContextState, R> work) {
        return Panache.withSession(() -> find(ctx, LockModeType.NONE).map(c -> work.apply(decode(c.state))));
    }

    /** Changes the context; {@code work} may also do database work of its own in the same transaction. */
    public <R> Uni<R> write(String ctx, Function<ContextState, R> work) {
        return writeAsync(ctx, (c, st) -> Uni.createFrom().item(() -> work.apply(st)));
    }

    public <R> Uni<R> writeAsync(String ctx, BiFunction<Context, ContextState, Uni<R>> work) {
        return Panache.withTransaction(() -> find(ctx, LockModeType.PESSIMISTIC_WRITE).flatMap(c -> {
            ContextState st = decode(c.state);
            return work.apply(c, st).invoke(() -> c.state = encode(st));
        }));
    }

    static Uni<Context> find(String ctx, LockModeType lock) {
        return Context.<Context>findById(ctx, lock).map(c -> {
            if (c == null) {
                throw ErrnoException.of(Errno.ENOENT, "no such context");
            }
            return c;
        });
    }

    public static String encode(ContextState st) {
        try {
            return JSON.writeValueAsString(st);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot store context state", e);
        }
    }

    static ContextState decode(String json) {
        try {
            return JSON.readValue(json, ContextState.class);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored context state unreadable", e);
        }
    }
}
