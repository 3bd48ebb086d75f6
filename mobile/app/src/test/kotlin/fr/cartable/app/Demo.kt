package fr.cartable.app

import androidx.compose.runtime.Composable
import androidx.compose.ui.ImageComposeScene
import androidx.compose.ui.unit.Density
import fr.cartable.app.state.AppModel
import fr.cartable.app.state.Platform
import fr.cartable.mobile.Cartable
import fr.cartable.mobile.CellState
import fr.cartable.mobile.PlanningCell
import java.io.File
import java.nio.file.Files
import java.time.DayOfWeek
import java.time.LocalDate
import java.time.ZoneId
import kotlinx.coroutines.runBlocking
import org.jetbrains.skia.EncodedImageFormat

/** The demo town hall the app's tests talk to: one server for the whole run. */
object Demo {
    const val PASSWORD = "demo-parent"
    const val CAMILLE = "camille.martin"
    const val JULIEN = "julien.martin"
    const val SAMIRA = "samira.benali"
    const val KARIM = "karim.benali"

    val server: TestServer by lazy {
        TestServer.start().also { s -> Runtime.getRuntime().addShutdownHook(Thread { s.close() }) }
    }

    /** A new phone (empty store, in [store]) running the app, not signed in. */
    fun newApp(
        url: String = server.url,
        device: String = "Téléphone de test",
        platform: TestPlatform = TestPlatform(),
        store: File = Files.createTempDirectory("cartable-app-").toFile(),
    ): AppModel = runBlocking {
        val cartable = Cartable.open(store.path)
        AppModel(cartable, device, platform, url)
    }

    /**
     * The app opened again on the data folder [store] of a phone whose app was closed: a new
     * library over the same store, started as at a launch (signed in, it syncs at once).
     */
    fun reopened(store: File, url: String = server.url, platform: TestPlatform = TestPlatform()): AppModel {
        val app = newApp(url, platform = platform, store = store)
        runBlocking { app.start() }
        check(app.signedIn) { "the phone should still be signed in" }
        return app
    }

    /** A new phone signed in as [login] through the login screen's model, synced once. */
    fun signedIn(
        login: String = CAMILLE,
        url: String = server.url,
        platform: TestPlatform = TestPlatform(),
        store: File = Files.createTempDirectory("cartable-app-").toFile(),
    ): AppModel {
        val app = newApp(url, platform = platform, store = store)
        runBlocking {
            app.login.login = login
            app.login.password = PASSWORD
            app.login.submit()
        }
        check(app.signedIn) { "not signed in: ${app.login.error}" }
        return app
    }

    /** Today in the town hall's time zone. */
    fun today(): LocalDate = LocalDate.now(ZoneId.of("Europe/Paris"))

    /** The Monday of the [n]th week whose days are all clear of every booking deadline. */
    fun clearWeek(n: Int = 0): LocalDate {
        var monday = today().plusDays(8)
        while (monday.dayOfWeek != DayOfWeek.MONDAY) monday = monday.plusDays(1)
        return monday.plusWeeks(n.toLong())
    }

    /**
     * Shows on "Mon planning" the first week clear of deadlines (school holidays skipped)
     * with at least [count] free cells of [activity] for the child shown; returns its Monday.
     */
    fun showWeekWithFree(app: AppModel, activity: String, count: Int = 1): LocalDate {
        for (n in 0..10) {
            val monday = clearWeek(n)
            runBlocking { app.planning.showWeek(monday) }
            if (cells(app).count { isFree(it) && it.activityId == activity } >= count) return monday
        }
        error("no week with $count free « $activity » in the next ten")
    }

    /** The cells of the week shown on "Mon planning". */
    fun cells(app: AppModel): List<PlanningCell> = app.planning.view?.rows?.flatMap { it.cells }.orEmpty()

    fun cell(app: AppModel, date: String, activityId: String): PlanningCell =
        cells(app).single { it.date == date && it.activityId == activityId }

    fun isFree(cell: PlanningCell) = cell.canBook && cell.state == CellState.Free
}

/** The file the parent "picks", and the files the app opened. */
class TestPlatform : Platform {
    var picked: File? = null
    val opened = mutableListOf<File>()
    val export: File = Files.createTempDirectory("cartable-export-").resolve("mes-donnees.zip").toFile()

    override suspend fun pickFile(): File? = picked
    override fun open(file: File): Boolean {
        opened += file
        return true
    }
    override fun exportFile(): File = export

    companion object {
        /** A small PDF the content check accepts. */
        fun pdf(name: String): File {
            val file = Files.createTempDirectory("cartable-pick-").resolve(name).toFile()
            file.writeText("%PDF-1.4\n% attestation\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n")
            return file
        }
    }
}

/** Pictures of screens, saved for a person to look at. */
object Screenshots {
    private val dir: File by lazy {
        val path = System.getProperty("cartable.screenshots")?.takeIf { it.isNotBlank() } ?: "target/screenshots"
        File(path).also { it.mkdirs() }
    }

    /** Where the picture called [name] goes. */
    fun file(name: String): File = File(dir, "$name.png")

    /**
     * Renders [content] on a phone-sized screen ([widthDp] × [heightDp] at density 2) and
     * saves it as `NN-name.png`. Returns the file.
     */
    fun save(name: String, widthDp: Int = 400, heightDp: Int = 860, content: @Composable () -> Unit): File {
        val density = 2f
        val scene = ImageComposeScene(
            width = (widthDp * density).toInt(),
            height = (heightDp * density).toInt(),
            density = Density(density),
            content = content,
        )
        try {
            scene.render(0)
            val image = scene.render(2_000_000_000L)
            val data = image.encodeToData(EncodedImageFormat.PNG) ?: error("PNG encoding failed")
            val file = file(name)
            file.writeBytes(data.bytes)
            return file
        } finally {
            scene.close()
        }
    }
}
