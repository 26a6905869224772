package dev.iommufd.contract.api;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import java.io.IOException;
import java.math.BigInteger;

/**
 * An unsigned 64-bit value (IOVA, length, address, register word). Requests may give a JSON
 * integer 0…2^64−1, a {@code "0x…"} hex string or a decimal string; responses always give
 * lowercase {@code "0x…"}. Held in a long, compared unsigned.
 */
@JsonSerialize(using = U64.Ser.class)
@JsonDeserialize(using = U64.Deser.class)
public record U64(long bits) implements Comparable<U64> {
    public static final U64 ZERO = new U64(0);
    public static final U64 MAX = new U64(-1L);
    private static final BigInteger LIMIT = BigInteger.ONE.shiftLeft(64);

    public static U64 of(long bits) {
        return new U64(bits);
    }

    /** Parses the textual forms; throws {@link IllegalArgumentException} for anything else. */
    public static U64 parse(String text) {
        String t = text.trim();
        BigInteger v;
        try {
            if (t.startsWith("0x") || t.startsWith("0X")) {
                String digits = t.substring(2);
                if (digits.isEmpty() || digits.startsWith("-") || digits.startsWith("+")) {
                    throw new IllegalArgumentException("not a u64: \"" + text + "\"");
                }
                v = new BigInteger(digits, 16);
            } else {
                if (t.isEmpty() || !t.chars().allMatch(Character::isDigit)) {
                    throw new IllegalArgumentException("not a u64: \"" + text + "\"");
                }
                v = new BigInteger(t);
            }
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a u64: \"" + text + "\"");
        }
        return fromBig(v);
    }

    public static U64 fromBig(BigInteger v) {
        if (v.signum() < 0 || v.compareTo(LIMIT) >= 0) {
            throw new IllegalArgumentException("out of u64 range: " + v);
        }
        return new U64(v.longValue());
    }

    public BigInteger toBig() {
        return new BigInteger(Long.toUnsignedString(bits));
    }

    public String hex() {
        return "0x" + Long.toHexString(bits);
    }

    @Override
    public int compareTo(U64 o) {
        return Long.compareUnsigned(bits, o.bits);
    }

    @Override
    public String toString() {
        return hex();
    }

    public static final class Ser extends JsonSerializer<U64> {
        @Override
        public void serialize(U64 value, JsonGenerator gen, SerializerProvider serializers) throws IOException {
            gen.writeString(value.hex());
        }
    }

    public static final class Deser extends JsonDeserializer<U64> {
        @Override
        public U64 deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            JsonToken t = p.currentToken();
            try {
                if (t == JsonToken.VALUE_NUMBER_INT) {
                    return fromBig(p.getBigIntegerValue());
                }
                if (t == JsonToken.VALUE_STRING) {
                    return parse(p.getText());
                }
            } catch (IllegalArgumentException e) {
                return (U64) ctxt.handleWeirdStringValue(U64.class, p.getText(), e.getMessage());
            }
            return (U64) ctxt.handleUnexpectedToken(U64.class, p);
        }
    }
}
