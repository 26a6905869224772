package dev.iommufd.devinfra;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The RSA key pair that signs context tokens: ioas-service signs with the private key, every
 * service verifies with the public one. Made once per checkout under {@code .run/keys}; a real
 * deployment mounts its own from a Secret.
 */
public final class TokenKeys {
    private final Path privateKey;
    private final Path publicKey;

    private TokenKeys(Path dir) {
        this.privateKey = dir.resolve("token-private.pem");
        this.publicKey = dir.resolve("token-public.pem");
    }

    public static TokenKeys ensure(Path runDir) {
        TokenKeys k = new TokenKeys(runDir.resolve("keys"));
        if (!Files.exists(k.privateKey) || !Files.exists(k.publicKey)) {
            k.generate();
        }
        return k;
    }

    public Path privateKey() {
        return privateKey;
    }

    public Path publicKey() {
        return publicKey;
    }

    /** The signing key, for tests that issue tokens as ioas-service does. */
    public java.security.PrivateKey loadPrivateKey() {
        try {
            String pem = Files.readString(privateKey).replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
            return java.security.KeyFactory.getInstance("RSA")
                    .generatePrivate(new java.security.spec.PKCS8EncodedKeySpec(Base64.getDecoder().decode(pem)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The services' configuration keys for these files. */
    public Map<String, String> quarkusConfig() {
        Map<String, String> c = new LinkedHashMap<>();
        c.put("mp.jwt.verify.publickey.location", publicKey.toAbsolutePath().toString());
        c.put("smallrye.jwt.sign.key.location", privateKey.toAbsolutePath().toString());
        return c;
    }

    private void generate() {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
            g.initialize(2048);
            KeyPair kp = g.generateKeyPair();
            Files.createDirectories(privateKey.getParent());
            Path tmpPriv = Files.createTempFile(privateKey.getParent(), "priv", ".tmp",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(tmpPriv, pem("PRIVATE KEY", kp.getPrivate().getEncoded()));
            Path tmpPub = Files.createTempFile(publicKey.getParent(), "pub", ".tmp");
            Files.writeString(tmpPub, pem("PUBLIC KEY", kp.getPublic().getEncoded()));
            Files.move(tmpPriv, privateKey, java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            Files.move(tmpPub, publicKey, java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }
}
